"""The institutions' builders, for the rules that purge cohort rows."""

from tests.institutions.conftest import (  # noqa: F401
    cohort,
    institution,
    make_cohort,
    make_institution,
)
