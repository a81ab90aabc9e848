"""Certificate speed: PDFs per second, credentials signed and verified per second, and the
public verification page's latency.

Run: .venv/bin/python bench/certificates.py [--database-url URL] [--count 50]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.auth import services as accounts  # noqa: E402
from ecampus.catalog.models import Course  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.certificates import services, vc  # noqa: E402
from ecampus.extensions import db  # noqa: E402


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:7.1f} per second ({1000 * seconds / count:.1f} ms each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=50)
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
        latencies = []
        for certificate in issued:
            start = time.perf_counter()
            response = client.get(f"/verify/{certificate.code}")
            latencies.append(1000 * (time.perf_counter() - start))
            assert response.status_code == 200
        latencies.sort()
        print(f"database: {url.split(':', 1)[0]}")
        size = statistics.mean(len(p) for p in pdfs) / 1024
        print(f"{'certificates issued (record + signed credential):':51}"
              f"{rate(args.count, issue_seconds)}")
        print(f"{'PDFs generated (A4, embedded fonts, QR code):':51}"
              f"{rate(args.count, pdf_seconds)}, {size:.0f} KB average")
        print(f"{'credentials signed (eddsa-rdfc-2022):':51}{rate(args.count, sign_seconds)}")
        print(f"{'credentials verified:':51}{rate(args.count, verify_seconds)}")
        print(f"verification page latency: p50 {latencies[len(latencies) // 2]:.1f} ms, "
              f"p90 {latencies[int(len(latencies) * 0.9)]:.1f} ms, max {latencies[-1]:.1f} ms "
              f"(in-process, no network)")


if __name__ == "__main__":
    main()
