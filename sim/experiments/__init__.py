"""Many runs at once: calibration against the field facts (replications, sweeps to come)."""
