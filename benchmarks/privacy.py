"""Export and deletion of one account with many contributions, and a purge over many
accounts: seconds and peak memory.

    python benchmarks/privacy.py [--contributions 10000] [--accounts 50000,500000]

Contributions: the person's --contributions comments (30 % of them replies, one in
ten edited once, so with a previous version), plus a tenth as many consent records
and Wagtail revisions (an editor's work). Add a maker to EXTRAS when another model
holds contributions: it is then exported and erased through the registry like the
rest, and measured here. The account is deleted with "erase my contributions", the
costlier choice (every counter of the thread is corrected).

Purge: `--accounts` sizes, each on a fresh throw-away database; a fifth of the
accounts are unverified and older than 7 days (deleted by the purge), the others are
active. Peak memory is Python's (tracemalloc) during the purge only: flat means the
same peak whatever the number of accounts (batches of TRIBUNE_PURGE_BATCH_SIZE).

Prints one JSON line per measure, then a last line with all figures.
"""

import argparse
import json
import resource
import time
import tracemalloc
from datetime import timedelta

from _setup import ThrowAwayDatabase
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

BATCH = 5_000


def make_consent_records(user, count):
    from consent.models import ConsentRecord
    from consent.services.records import subject_of

    subject = subject_of(user=user)
    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        (
            ConsentRecord(
                user=user,
                subject=subject,
                purpose="notifications",
                version="1",
                text_hash="0" * 64,
                decision="granted" if i % 2 else "withdrawn",
                created_at=now - timedelta(minutes=i),
                ended_at=now - timedelta(minutes=i - 1),
            )
            for i in range(count)
        ),
        batch_size=BATCH,
    )


def make_revisions(user, count):
    from wagtail.models import Page, Revision

    page = Page.objects.filter(depth=2).first() or Page.objects.first()
    content_type = ContentType.objects.get_for_model(page.specific_class)
    base = ContentType.objects.get_for_model(Page)
    Revision.objects.bulk_create(
        (
            Revision(
                content_type=content_type,
                base_content_type=base,
                object_id=str(page.pk),
                user=user,
                object_str=f"Révision {i}",
                created_at=timezone.now(),
                content={"title": f"Révision {i}"},
            )
            for i in range(count)
        ),
        batch_size=BATCH,
    )


def make_comments(user, count):
    from cms.models import ConsultationIndexPage
    from participation.models import CommentVersion
    from tests import factories

    index = ConsultationIndexPage.objects.first()  # the demo's, loaded first
    consultation = factories.consultation(index, title="Fil du banc d'essai")
    tops, replies = factories.bulk_thread(consultation, count, [user])
    now = timezone.now()
    CommentVersion.objects.bulk_create(
        (
            CommentVersion(
                comment=comment, body="Première version.", reason="edited", written_at=now
            )
            for comment in (tops + replies)[::10]
        ),
        batch_size=BATCH,
    )


# name → function(user, count). Comments get --contributions rows, the others a tenth.
MAKERS = {"comments": make_comments}
EXTRAS = {"consent_records": make_consent_records, "revisions": make_revisions}


def measure(function, *args, **kwargs):
    """(result, wall seconds, peak MiB, CPU seconds of this process). CPU time tells the
    cost apart from waiting for a core when the machine is shared."""
    tracemalloc.start()
    start, start_cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, round(seconds, 2), round(peak / 2**20, 1), round(cpu, 2)


def export_and_delete(contributions: int):
    from django.core.management import call_command

    from accounts.models import User
    from consent.registry import Choice
    from consent.services.erasure import erase_accounts
    from consent.services.exports import build_zip

    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    user = User.objects.create_user("bench@exemple.fr", "x" * 12, display_name="Banc d'essai")
    for make in MAKERS.values():
        make(user, contributions)
    for make in EXTRAS.values():
        make(user, contributions // 10)
    reverse("participation:comment", args=[1])  # URLs loaded, as in a running server
    content, export_s, export_mb, export_cpu = measure(build_zip, user)
    _result, delete_s, delete_mb, delete_cpu = measure(
        erase_accounts, [user.pk], choice=Choice.ERASE
    )
    assert not User.objects.filter(pk=user.pk).exists()
    return {
        "bench": "privacy_account",
        "comments": contributions,
        "extras": dict.fromkeys(EXTRAS, contributions // 10),
        "export_s": export_s,
        "export_cpu_s": export_cpu,
        "export_peak_mb": export_mb,
        "zip_kb": round(len(content) / 1024),
        "delete_s": delete_s,
        "delete_cpu_s": delete_cpu,
        "delete_peak_mb": delete_mb,
    }


def purge_accounts(total: int):
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from consent.services.defaults import ensure_defaults
    from consent.services.purge import purge

    ensure_defaults()
    password = make_password("not-used-in-benchmark")
    old = timezone.now() - timedelta(days=30)
    start = time.perf_counter()
    for offset in range(0, total, BATCH):
        users = User.objects.bulk_create(
            User(
                email=f"p{n}@bench.test",
                display_name=f"P{n}",
                password=password,
                date_joined=old,
                last_login=None if n % 5 == 0 else timezone.now() - timedelta(days=3),
            )
            for n in range(offset, min(total, offset + BATCH))
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, primary=True, verified=True)
            for user in users
            if user.last_login is not None
        )
    setup_s = round(time.perf_counter() - start, 1)
    run, seconds, peak_mb, _cpu = measure(purge)
    deleted = next(row["rows"] for row in run.results if row["rule"] == "accounts.unverified")
    assert User.objects.count() == total - deleted
    return {
        "bench": "privacy_purge",
        "accounts": total,
        "deleted": deleted,
        "purge_s": seconds,
        "purge_peak_mb": peak_mb,
        "setup_s": setup_s,
        "status": run.status,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--contributions", type=int, default=10_000)
    parser.add_argument("--accounts", default="50000,500000")
    args = parser.parse_args()
    figures = []
    with ThrowAwayDatabase() as vendor:
        figures.append({**export_and_delete(args.contributions), "db": vendor})
        print(json.dumps(figures[-1]))
    for size in [int(value) for value in args.accounts.split(",") if value]:
        with ThrowAwayDatabase() as vendor:
            figures.append({**purge_accounts(size), "db": vendor})
            print(json.dumps(figures[-1]))
    rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps({"bench": "privacy", "max_rss_mb": rss_mb, "results": figures}))


if __name__ == "__main__":
    main()
