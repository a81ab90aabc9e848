"""Certificate speed: PDFs per second, credentials signed and verified per second, and the
public verification page's latency; then, with a million certificate records (bulk-generated
in SQL, not signed), the size and fetch time of every status list, the time to revoke one
and to issue one, and the verification page's latency again.

Run: .venv/bin/python bench/certificates.py [--database-url URL] [--count 50]
                                            [--records 1000000]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.auth import services as accounts  # noqa: E402
from ecampus.catalog.models import Course  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.certificates import services, vc  # noqa: E402
from ecampus.certificates.models import Certificate  # noqa: E402
from ecampus.extensions import db  # noqa: E402


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:7.1f} per second ({1000 * seconds / count:.1f} ms each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--records", type=int, default=1_000_000,
                        help="certificate records to bulk-generate for the status-list part")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database_url) as url:
        course_dir = Path(folder) / "courses" / "bench-certificate"
        course_dir.mkdir(parents=True)
        (course_dir / "course.md").write_text(
            "---\ntitle: Protección en fronteras\nsummary: S.\nduration: 3h\n---\nC.\n")
        (course_dir / "01-a.md").write_text("---\ntitle: A\n---\nText.\n")
        app = make_app(url, PUBLIC_URL="https://campus.example", RATELIMIT_ENABLED=False)
        app.instance_path = folder
        with app.app_context():
            publish_courses(course_dir.parent)
            course_id = db.session.scalar(select(Course.id))
            users = [accounts.create_user(f"p{n}@example.org", f"José Ñúñez {n}", "x" * 12).id
                     for n in range(args.count)]
            start = time.perf_counter()
            issued = [services.issue_certificate(user_id, course_id) for user_id in users]
            issue_seconds = time.perf_counter() - start
            start = time.perf_counter()
            pdfs = [services.pdf_for(c) for c in issued]
            pdf_seconds = time.perf_counter() - start
            key = vc.generate_key()
            method = f"https://campus.example/issuer/keys/{vc.public_multikey(key.public_key())}"
            unsigned = vc.build_credential(
                issuer=services.issuer(), learner_email="a@example.org",
                course_url="https://campus.example/courses/x/", course_title="T",
                course_description="D", criteria="C", valid_from=datetime.now(UTC))
            start = time.perf_counter()
            signed = [vc.sign_credential(unsigned, key, method) for _ in range(args.count)]
            sign_seconds = time.perf_counter() - start
            start = time.perf_counter()
            for document in signed:
                assert vc.verify_proof(document, {method: key.public_key()}.get).ok
            verify_seconds = time.perf_counter() - start
        client = app.test_client()
        latencies = _verify_latencies(client, issued)
        print(f"database: {url.split(':', 1)[0]}")
        size = statistics.mean(len(p) for p in pdfs) / 1024
        print(f"{'certificates issued (record + signed credential):':51}"
              f"{rate(args.count, issue_seconds)}")
        print(f"{'PDFs generated (A4, embedded fonts, QR code):':51}"
              f"{rate(args.count, pdf_seconds)}, {size:.0f} KB average")
        print(f"{'credentials signed (eddsa-rdfc-2022):':51}{rate(args.count, sign_seconds)}")
        print(f"{'credentials verified:':51}{rate(args.count, verify_seconds)}")
        print(f"verification page latency: {_percentiles(latencies)} (in-process, no network)")
        if args.records:
            _at_scale(app, client, issued, course_id, users[0], args.records)


def _verify_latencies(client, issued) -> list[float]:
    latencies = []
    for certificate in issued:
        start = time.perf_counter()
        response = client.get(f"/verify/{certificate.code}")
        latencies.append(1000 * (time.perf_counter() - start))
        assert response.status_code == 200
    return sorted(latencies)


def _percentiles(latencies: list[float]) -> str:
    return (f"p50 {latencies[len(latencies) // 2]:.1f} ms, "
            f"p90 {latencies[int(len(latencies) * 0.9)]:.1f} ms, max {latencies[-1]:.1f} ms")


#: Bulk records fill the lists after list 0 (where the issued ones are); one in a hundred,
#: picked at random, is revoked (the bits a list sets). Within a list,
#: k -> (k * 40503 + 7919 * list) mod 131072 is a bijection (40503 is odd), so indexes are
#: scattered and distinct without drawing them one by one.
BULK_SQL = """
INSERT INTO certificates (code, user_id, course_id, sequence, learner_name, course_title,
    certificate_title, course_version, hours, language, issued_on, status, revoked_reason,
    status_list, status_index, credential_id, credential, created_at)
SELECT 'B' || n, :user_id, :course_id, n + 1000, 'Bench Learner', 'Bench course',
    'Certificate of Completion', 1, 3, 'en', :today,
    CASE WHEN revoked THEN 'revoked' ELSE 'valid' END,
    CASE WHEN revoked THEN 'bench' END,
    1 + n / :per_list,
    ((CAST(n AS BIGINT) % :per_list) * 40503 + 7919 * (1 + n / :per_list)) % :length,
    'urn:bench:' || n, {empty_json}, :now
FROM (SELECT n, {one_in_a_hundred} AS revoked FROM {series}) AS numbers
"""


def _bulk_insert(records: int, user_id: int, course_id: int) -> None:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        series, empty_json = f"generate_series(0, {records - 1}) AS n", "'{}'::json"
        one_in_a_hundred = "random() < 0.01"
    else:
        series = (f"(WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s "  # noqa: S608
                  f"WHERE n < {records - 1}) SELECT n FROM s)")
        empty_json, one_in_a_hundred = "'{}'", "abs(random() % 100) = 0"
    now = datetime.now(UTC).replace(tzinfo=None)
    db.session.execute(text(BULK_SQL.format(
        series=series, empty_json=empty_json, one_in_a_hundred=one_in_a_hundred)), {
        "user_id": user_id, "course_id": course_id, "today": now.date(), "now": now,
        "per_list": services.LIST_CAPACITY, "length": services.STATUS_LIST_LENGTH})
    db.session.commit()
    if dialect == "postgresql":
        db.session.execute(text("ANALYZE certificates"))
        db.session.commit()


def _at_scale(app, client, issued, course_id: int, user_id: int, records: int) -> None:
    with app.app_context():
        start = time.perf_counter()
        _bulk_insert(records, user_id, course_id)
        print(f"\n{records:,} certificate records bulk-generated in "
              f"{time.perf_counter() - start:.1f} s")
        total = db.session.scalar(select(func.count()).select_from(Certificate))
        lists = services.status_list_count()
    print(f"{total:,} certificates in {lists} status lists of "
          f"{services.STATUS_LIST_LENGTH:,} bits (at most {services.LIST_CAPACITY:,} each):")
    for number in range(lists):
        start = time.perf_counter()
        response = client.get(f"/issuer/status/{number}")
        seconds = time.perf_counter() - start
        assert response.status_code == 200
        encoded = json.loads(response.data)["credentialSubject"]["encodedList"]
        print(f"  list {number:2}: {len(response.data) / 1024:5.1f} KB served "
              f"(encodedList {len(encoded) / 1024:4.1f} KB), fetched and signed in "
              f"{1000 * seconds:6.1f} ms")
    with app.app_context():
        start = time.perf_counter()
        services.revoke(issued[0].code, "Benchmark.")
        revoke_seconds = time.perf_counter() - start
        start = time.perf_counter()
        extra = accounts.create_user("scale@example.org", "Scale", "x" * 12).id
        services.issue_certificate(extra, course_id)
        issue_seconds = time.perf_counter() - start
    print(f"revoking one certificate: {1000 * revoke_seconds:.1f} ms; issuing one (account "
          f"included): {1000 * issue_seconds:.1f} ms")
    print(f"verification page latency with {total:,} rows: "
          f"{_percentiles(_verify_latencies(client, issued[1:]))}")


if __name__ == "__main__":
    main()
