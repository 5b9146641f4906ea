"""The performance benchmark run by `bin/benchmark` (see docs/benchmark.md), and the
Django app that seeds its data set (`data`, `manage.py seed_bench`).

Modules: `data` (the bench data set), `stats` (percentiles, ratios, targets), `client`
(a logged-in HTTP client), `scenario` (the bench rows the requests use, found and checked
through the ORM), `wrk` (throughput), `memory` (worker RSS), `report` (table and JSON)
and `run` (the whole run).
"""
