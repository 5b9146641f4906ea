"""`python manage.py seed_bench --scale N`: the large data set the benchmarks run on."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.data import (
    ALREADY_SEEDED,
    BENCH_ADMIN_USERNAME,
    BENCH_APPROVER_USERNAME,
    BENCH_COMMITMENT_NUMBER,
    BENCH_COMPANY_NAME,
    BENCH_PASSWORD,
    DEFAULT_SEED,
    INVALID_SCALE,
    bench_data_exists,
    delete_bench_data,
    seed_bench_data,
)


class Command(BaseCommand):
    help = (
        f"Bulk-create the benchmark data set: company “{BENCH_COMPANY_NAME}” with, at scale 1, "
        "200 projects, 4,000 commitments, 100,000 invoices with their lines, 5,000 items "
        f"Ready to Export and commitment {BENCH_COMMITMENT_NUMBER} with 150 invoices; users "
        f"{BENCH_ADMIN_USERNAME} and {BENCH_APPROVER_USERNAME} (password “{BENCH_PASSWORD}”)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Size relative to the full data set (1 = 100,000 invoices; 0.01 for tests).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="Seed of the random generator; the same seed and scale give the same data.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the bench company, its data and the bench users first.",
        )

    def handle(self, *args, scale: float, seed: int, reset: bool, **options) -> None:
        if not scale > 0:
            raise CommandError(INVALID_SCALE)
        if reset:
            delete_bench_data(report=self.stdout.write)
        elif bench_data_exists():
            raise CommandError(
                ALREADY_SEEDED.format(
                    company=BENCH_COMPANY_NAME,
                    admin=BENCH_ADMIN_USERNAME,
                    approver=BENCH_APPROVER_USERNAME,
                )
            )
        result = seed_bench_data(scale=scale, seed=seed, report=self.stdout.write)
        width = max(len(name) for name in result.counts)
        self.stdout.write("Rows created:")
        for name, rows in result.counts.items():
            self.stdout.write(f"  {name:<{width}}  {rows:>9,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded “{BENCH_COMPANY_NAME}” in {result.seconds:.1f} s. Log in as "
                f"{BENCH_ADMIN_USERNAME} or {BENCH_APPROVER_USERNAME}, password "
                f"“{BENCH_PASSWORD}”."
            )
        )
