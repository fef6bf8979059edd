"""WeChat's callback protocol, both sides: what the platform sends and what a back end answers.

Modules: `callbacks` (signatures, signed query strings, message XML as the platform sends it),
`safe_xml` (expat with defusedxml's guards, and the whitelisted fast paths), `protocol`
(checking signatures, parsing callbacks, the dedup key `dedup_key`, passive replies),
`safe_mode` (the one `SafeMode`: AES envelopes, both directions), `delivery` (the platform's
rule: deadline, redeliveries, outcome) and `platform_stub` (a stand-in customer-service API).

Imports nothing else of `loadtests` and no Locust or gevent: the back end, the replay, the
benchmarks and the report all import it.
"""

__all__: list[str] = []
