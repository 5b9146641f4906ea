"""The performance benchmark run by `bin/benchmark` (see docs/benchmark.md).

Modules: `stats` (percentiles, ratios, targets), `client` (a logged-in HTTP client),
`scenario` (the bench rows the requests use, found and checked through the ORM), `wrk`
(throughput), `memory` (worker RSS), `report` (table and JSON) and `run` (the whole run).
"""
