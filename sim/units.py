"""Time units: the model's clock runs in minutes from the first simulated midnight.

The human queue and the follower model work in minutes; the back-end server and the load
profile in seconds (WeChat's deadline is 5 s). Conversions happen where a window enters or
leaves the server, with these constants.
"""

__all__ = ["DAY", "SECONDS_PER_MINUTE"]

DAY = 1440.0  # minutes in a day
SECONDS_PER_MINUTE = 60.0
