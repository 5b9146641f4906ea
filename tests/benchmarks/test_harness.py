"""The benchmark harness's arithmetic and parsing, on fixed numbers (the benchmark itself
is too slow for the test suite: run bin/benchmark)."""

from __future__ import annotations

import pytest

from benchmarks import memory, report, stats, wrk

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8765/benchmark/floor/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.91ms    1.02ms  21.03ms   90.12%
    Req/Sec     1.03k    60.12     1.12k    71.00%
  Latency Distribution
     50%    3.62ms
     75%    4.01ms
     90%    4.80ms
     99%    8.50ms
  10291 requests in 10.01s, 5.12MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   1028.13
Transfer/sec:    523.80KB
"""


def test_p50_of_an_even_count_is_the_mean_of_the_middle_two():
    assert stats.percentile([40, 10, 30, 20], 50) == 25


def test_p95_interpolates_between_the_closest_ranks():
    samples = list(range(1, 21))  # 1..20: rank 0.95 * 19 = 18.05
    assert stats.percentile(samples, 95) == pytest.approx(19.05)


def test_percentile_of_one_sample_is_that_sample():
    assert stats.percentile([7.5], 95) == 7.5


def test_percentile_of_no_samples_is_an_error():
    with pytest.raises(ValueError):
        stats.percentile([], 50)


def test_ratio_is_missing_when_a_side_is_missing_or_zero():
    assert stats.ratio(30, 10) == 3
    assert stats.ratio(None, 10) is None
    assert stats.ratio(30, None) is None
    assert stats.ratio(30, 0) is None


def test_page_within_three_times_the_floor_and_as_fast_as_admin_passes():
    to_floor, to_admin = stats.page_checks("Invoices tab", 30.0, 10.0, 30.0)
    assert (to_floor.value, to_floor.verdict) == (3.0, "PASS")
    assert (to_admin.value, to_admin.verdict) == (1.0, "PASS")


def test_page_slower_than_three_floors_or_than_admin_fails():
    to_floor, to_admin = stats.page_checks("Invoices tab", 31.0, 10.0, 30.0)
    assert to_floor.verdict == "FAIL"
    assert to_admin.verdict == "FAIL"


def test_page_not_measured_is_not_a_verdict():
    to_floor, _ = stats.page_checks("Invoices tab", None, 10.0, 30.0)
    assert to_floor.verdict == "n/a"


def test_bulk_retrieve_may_take_five_single_retrieves():
    assert stats.bulk_check(50.0, 10.0).verdict == "PASS"
    assert stats.bulk_check(50.1, 10.0).verdict == "FAIL"


def test_worker_memory_limit_is_150_mb():
    assert stats.memory_check("worker 1", 149.9).verdict == "PASS"
    assert stats.memory_check("worker 1", 150.1).verdict == "FAIL"


def test_timing_reports_p50_p95_and_the_range_of_query_counts():
    timing = stats.Timing((10.0, 20.0, 30.0), (9, 9, 11))
    assert timing.p50 == 20.0
    assert timing.p95 == pytest.approx(29.0)
    assert timing.queries_text == "9-11"
    assert stats.Timing((1.0,), (9, 9)).queries_text == "9"


def test_wrk_output_gives_requests_per_second_errors_and_median_latency():
    result = wrk.parse(WRK_OUTPUT)
    assert result.requests_per_second == 1028.13
    assert result.requests == 10291
    assert result.errors == 3
    assert result.latency_p50_ms == pytest.approx(3.62)


def test_wrk_output_without_a_rate_is_an_error():
    with pytest.raises(ValueError):
        wrk.parse("unable to connect to 127.0.0.1:8765 Connection refused")


def test_parent_pid_is_read_after_a_command_name_with_spaces_and_parentheses():
    stat = "4242 (gunicorn: worker (x)) S 4200 4200 4200 0 -1 4194560"
    assert memory.parent_pid(stat) == 4200


def test_resident_memory_is_read_from_proc_status():
    status = "Name:\tgunicorn\nVmPeak:\t  200000 kB\nVmRSS:\t   81920 kB\nThreads:\t1\n"
    assert memory.rss_kb(status) == 81920


def test_summary_prints_each_request_target_and_verdict_count():
    results = {
        "meta": {
            "date": "2026-01-01T00:00:00+00:00",
            "scale": 1.0,
            "requests": 20,
            "warmups": 3,
            "database": "PostgreSQL 15 (erp_bench)",
            "workers": 2,
            "cpus": 2,
            "cpu_model": "test CPU",
            "commit": "abc1234",
            "wrk_seconds": 10,
        },
        "requests": [
            {"name": "floor", "n": 20, "p50_ms": 4.0, "p95_ms": 5.0, "queries": "2",
             "vs_floor": 1.0, "vs_admin": 0.1},
            {"name": "accept", "error": "HTTP 404 (not there yet)"},
        ],
        "checks": [
            {"name": "page / floor", "value": 2.5, "limit": 3.0, "verdict": "PASS"},
            {"name": "page / admin", "value": 1.5, "limit": 1.0, "verdict": "FAIL"},
        ],
        "throughput": {"error": "wrk is not installed (apt-get install wrk)"},
        "memory": [{"pid": 11, "rss_mb": 80.0}],
    }  # fmt: skip
    text = report.summary(results)
    assert "not measured: HTTP 404 (not there yet)" in text
    assert "page / admin" in text
    assert "worker pid 11: 80.0 MB" in text
    assert text.endswith("1 PASS, 1 FAIL, 0 not measured")


def test_peak_memory_is_read_from_proc_status():
    assert memory.peak_kb("Name:\tgunicorn\nVmHWM:\t  81234 kB\nVmRSS:\t 70000 kB\n") == 81234


def test_summary_reports_the_csvs_rows_queries_and_worker_peaks():
    lines = report.downloads_table(
        {"csv_rows": 5000, "csv_queries": 6, "peak_reset": True, "peak_mb": {11: 90.25}}
    )

    assert lines == [
        "CSV of Ready to Export: 5,000 rows, 6 queries (counted in process: the file is streamed)",
        "worker pid 11: peak 90.2 MB (since the CSV requests began)",
    ]


def test_summary_of_a_run_without_downloads_says_not_measured():
    assert report.downloads_table(None) == ["not measured"]


def test_summary_reports_the_pdf_with_attachments_pages_and_worker_peaks():
    lines = report.downloads_table(
        {
            "csv_rows": None,
            "pdf_with_attachments": {
                "pdf_attachments": 10,
                "other_attachments": 2,
                "pages": 16,
                "peak_reset": True,
                "peak_mb": {"12": 101.04},
            },
        }
    )

    assert lines == [
        "PDF with attachments: 16 pages (10 PDF attachments appended, 2 others listed)",
        "worker pid 12: peak 101.0 MB (since the PDF with attachments requests began)",
    ]
