"""Live updates through the real ASGI stack (origin check, sessions, routing, consumers)
with Channels' WebsocketCommunicator: each action reaches readers as the documented
message, private data never does, and bad clients are refused without disturbing the
others. Then the catch-up endpoint that fills the gaps.

The tests are synchronous and drive the communicator through async_to_sync: the
consumers' database calls then run in the test's thread, inside its transaction.
"""

import asyncio
import json
import re
from datetime import datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.utils import timezone

from participation import consumers, events
from participation.models import CommentModeration, LiveEvent, State
from participation.queries.live import author_key
from participation.services import comments as services
from participation.services import notifications as notification_services
from participation.services import polls as poll_services
from participation.services.comments import move_to_state
from participation.views.live import page_cursor
from tests import factories
from tests.clients import Client
from tests.participation.test_comment_pages import MARKUP_BODY, MARKUP_NEVER, MARKUP_SHOWN

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
def memory_layer(settings):
    """The in-memory layer (Redis delivery across processes: test_live_redis.py)."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }
    settings.TRIBUNE_LIVE_COALESCE_MS = 50
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """database_sync_to_async closes "old" connections around each call; here the call
    runs in the test's thread, whose connection holds the test's transaction."""
    import channels.db

    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)


@pytest.fixture
def application():
    from config.asgi import application

    return application


def session_cookie(client, user) -> tuple:
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def live(scenario):
    """Run an async scenario from this synchronous test."""
    return async_to_sync(scenario)()


def committed(action):
    """Run a service as a request would: on-commit broadcasts included."""

    def run():
        with transaction.atomic():
            result = action()
        # The test transaction never commits: run what was scheduled on commit.
        return result

    return run


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    async def act(function, *args, **kwargs):
        def run():
            with django_capture_on_commit_callbacks(execute=True):
                return function(*args, **kwargs)

        return await database_sync_to_async(run)()

    return act


async def open_stream(application, path, *headers):
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


def unbatched(text: str) -> list[str]:
    """A "batch" frame (frames that piled up while the process was busy) as the frames
    it holds, each serialised as the server serialised it."""
    message = json.loads(text)
    if message.get("type") != "batch":
        return [text]
    return [json.dumps(each, separators=(",", ":")) for each in message["events"]]


async def frames(communicator, timeout=0.5) -> list[str]:
    """Every raw frame received until nothing comes for `timeout` seconds."""
    found = []
    # receive_nothing, not a timeout on receive_output: a timeout cancels the consumer.
    while not await communicator.receive_nothing(timeout=timeout):
        output = await communicator.receive_output()
        if output["type"] == "websocket.send":
            found.extend(unbatched(output["text"]))
        elif output["type"] == "websocket.close":
            found.append(f"<close {output.get('code')}>")
            return found
    return found


def post(author, consultation, body="Un avis.", **kwargs):
    return services.post_comment(author=author, consultation=consultation, body=body, **kwargs)


def hide(comment):
    """A moderator hides a comment: the state change the moderation services make, and its
    broadcast (events.comment_state_changed)."""
    with transaction.atomic():
        comment.refresh_from_db()
        was_published = comment.is_published
        move_to_state(comment, State.HIDDEN)
        found = events.comment_state_changed(comment, was_published=was_published)
        transaction.on_commit(lambda: events.publish_all(found))


# --- What readers receive -----------------------------------------------------------------


def test_each_action_reaches_readers_as_documented_without_private_data(
    application, users, consultation, act
):
    citizen, agent = users["citizen"], users["agent"]

    async def scenario():
        reader, connected, _code = await open_stream(
            application, f"/ws/consultations/{consultation.pk}/"
        )
        assert connected
        comment = await act(post, citizen, consultation, "Plus de pistes cyclables.")
        reply = await act(post, agent, consultation, "D'accord.", parent=comment)
        await act(services.set_support, user=agent, comment=comment, supported=True)
        await act(services.edit_comment, user=citizen, comment=comment, body="Plus de pistes !")
        await act(hide, reply)
        await act(services.delete_comment, user=citizen, comment=comment)
        raw = await frames(reader)
        await reader.disconnect()
        return comment, reply, raw

    comment, reply, raw = live(scenario)
    received = [json.loads(text) for text in raw]
    assert [message["type"] for message in received] == [
        "comment.created",
        "comment.created",
        "comment.supports",
        "comment.edited",
        "comment.removed",
        "comment.deleted",
    ]
    first, second, supports, edited, removed, deleted = received
    assert first["id"] == comment.pk and first["parent"] is None
    assert first["body"] == "Plus de pistes cyclables."
    assert first["author"] == citizen.display_name
    assert second["parent"] == comment.pk
    assert supports == {
        "type": "comment.supports",
        "consultation": consultation.pk,
        "id": comment.pk,
        "supports": 1,
        "cursor": supports["cursor"],
        "prev": second["cursor"],
    }
    assert edited["body"] == "Plus de pistes !"
    # The reply had no replies of its own: hidden, it leaves the page without a trace.
    assert removed == {
        "type": "comment.removed",
        "consultation": consultation.pk,
        "id": reply.pk,
        "parent": comment.pk,
        "placeholder": "",
        "cursor": removed["cursor"],
        "prev": edited["cursor"],
    }
    assert deleted["id"] == comment.pk
    # Cursors follow the journal, in order; each frame names the consultation's previous
    # row (figures that only matter at their latest value left out), so a page notices
    # a frame it never got.
    cursors = [message["cursor"] for message in received]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    assert [message["prev"] for message in received] == [
        None,
        first["cursor"],
        second["cursor"],
        second["cursor"],  # not the supports' row: a newer count replaces it
        edited["cursor"],
        removed["cursor"],
    ]
    everything = "".join(raw)
    for private in (citizen.email, agent.email, "D'accord.".replace("'", "\\u0027")):
        assert private not in everything
    assert everything.count("D'accord.") == 1  # in its creation only, not once hidden
    assert "password" not in everything and "@" not in everything


def test_a_comment_frame_carries_one_rendering_for_every_reader_and_nothing_private(
    client, application, users, consultation, act
):
    """Two readers, one signed in and one not, receive the same bytes: the comment's
    public HTML, with every tool hidden and no reader's token, rendered once."""
    citizen = users["citizen"]
    cookie = session_cookie(client, users["agent"])

    async def scenario():
        path = f"/ws/consultations/{consultation.pk}/"
        visitor, _ok, _code = await open_stream(application, path)
        agent, _ok, _code = await open_stream(application, path, cookie)
        await act(post, citizen, consultation, MARKUP_BODY)
        seen = await frames(visitor), await frames(agent)
        await visitor.disconnect()
        await agent.disconnect()
        return seen

    to_visitor, to_agent = live(scenario)
    assert to_visitor == to_agent and len(to_visitor) == 1
    frame = json.loads(to_visitor[0])
    html = frame["html"]
    # The body full of markup arrives as text, exactly as the page writes it.
    for never in MARKUP_NEVER:
        assert never not in html
    for shown in MARKUP_SHOWN:
        assert shown in html
    assert frame["body"] == MARKUP_BODY  # the JSON string, never inserted as HTML
    # Every tool is hidden until the page decides; forms carry no one's token.
    for tool in ("support", "reply", "own", "report"):
        assert f'data-live-tool="{tool}" hidden' in html
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', html)
    assert tokens and set(tokens) == {"live"}
    # The author is a pseudonym of this consultation, not their account.
    key = author_key(citizen.pk, consultation.pk)
    assert f'data-author="{key}"' in html and f"{citizen.pk}" != key
    for private in (citizen.email, "@", "sessionid"):
        assert private not in to_visitor[0]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", {"signed_in": False}),
        (
            "citizen",
            {"support": True, "reply": True, "official": False, "report": True, "edit": True},
        ),
        (
            "unverified",
            {"support": False, "reply": False, "official": False, "report": False, "edit": False},
        ),
        (
            "banned",
            {"support": False, "reply": False, "official": False, "report": False, "edit": False},
        ),
        (
            "agent",
            {"support": True, "reply": True, "official": True, "report": True, "edit": True},
        ),
    ],
)
def test_the_page_embeds_each_readers_context_once_without_private_data(
    client, users, consultation, role, expected, django_capture_on_commit_callbacks
):
    from participation.services import moderation as moderation_services

    if role == "banned":
        user = factories.UserFactory()
        with django_capture_on_commit_callbacks(execute=True):
            moderation_services.ban(
                moderator=users["moderator"], user=user, reason="Insultes répétées", days=7
            )
    else:
        user = users[role]
    if user.is_authenticated:
        client.force_login(user)
    html = client.get(consultation.url).content.decode()
    found = re.findall(
        r'<script id="reader-context" type="application/json">(.*?)</script>', html, re.S
    )
    assert len(found) == 1
    context = json.loads(found[0])
    assert {name: context[name] for name in expected} == expected
    if user.is_authenticated:
        assert context["key"] == author_key(user.pk, consultation.pk)
        assert context["csrf"] and user.email not in found[0] and "@" not in found[0]
    else:
        assert context == {"signed_in": False}  # the same for every visitor: shareable


def test_pending_comments_and_reports_reach_moderators_only(
    application, client, users, consultation, act
):
    consultation.comment_moderation = CommentModeration.A_PRIORI
    consultation.save()
    moderator_cookie = session_cookie(client, users["moderator"])

    async def scenario():
        public, _ok, _code = await open_stream(application, f"/ws/consultations/{consultation.pk}/")
        moderation, connected, _code = await open_stream(
            application, "/ws/moderation/", moderator_cookie
        )
        assert connected
        await act(post, users["citizen"], consultation, "Texte en attente de lecture")
        result = await frames(public), await frames(moderation)
        await public.disconnect()
        await moderation.disconnect()
        return result

    public_frames, moderator_frames = live(scenario)
    assert public_frames == []
    assert [json.loads(text)["type"] for text in moderator_frames] == ["comment.pending"]
    assert "Texte en attente" not in "".join(moderator_frames)
    assert users["citizen"].email not in "".join(moderator_frames)


def test_poll_results_follow_the_polls_visibility(application, users, consultation, act):
    always = factories.poll(consultation, title="Toujours", results_visibility="always")
    after_voting = factories.poll(
        consultation, title="Après le vote", results_visibility="after_voting"
    )

    def vote(poll, voter, index=0):
        return poll_services.cast_ballot(
            voter=voter,
            poll=poll,
            answers={
                poll.questions.all()[0].pk: factories.choice_ids(poll, 0)[index],
                poll.questions.all()[1].pk: [factories.choice_ids(poll, 1)[0]],
            },
        )

    async def scenario():
        reader, _ok, _code = await open_stream(application, f"/ws/consultations/{consultation.pk}/")
        await act(vote, always, users["citizen"], 1)
        raw = await frames(reader, timeout=0.3)  # past the coalescing window
        await act(vote, after_voting, users["citizen"], 2)
        raw += await frames(reader)
        await reader.disconnect()
        return raw

    raw = live(scenario)
    public_results, hidden_results = (json.loads(text) for text in raw)
    assert public_results["type"] == "poll.results" and public_results["participants"] == 1
    assert public_results["choices"][str(factories.choice_ids(always, 0)[1])] == 1
    assert hidden_results == {
        "type": "poll.results",
        "consultation": consultation.pk,
        "poll": after_voting.pk,
        "participants": 1,
        "cursor": hidden_results["cursor"],
        "prev": None,
    }
    assert users["citizen"].display_name not in "".join(raw)


def test_a_burst_of_supports_arrives_as_the_latest_count(application, users, consultation, act):
    comment = post(users["citizen"], consultation)
    supporters = [factories.UserFactory() for _ in range(5)]

    async def scenario():
        reader, _ok, _code = await open_stream(application, f"/ws/consultations/{consultation.pk}/")
        for supporter in supporters:
            await act(services.set_support, user=supporter, comment=comment, supported=True)
        raw = await frames(reader)
        await reader.disconnect()
        return raw

    received = [json.loads(text) for text in live(scenario)]
    assert 1 <= len(received) < 5
    assert received[-1]["supports"] == 5
    # The journal keeps only the latest figure too.
    assert LiveEvent.objects.filter(type="comment.supports").count() == 1


def test_closing_is_sent_when_the_consultation_closes(application, consultation, settings):
    consultation.closes_at = timezone.now() + timedelta(seconds=1)
    consultation.save()

    async def scenario():
        reader, connected, _code = await open_stream(
            application, f"/ws/consultations/{consultation.pk}/"
        )
        assert connected
        raw = await frames(reader, timeout=3)
        await reader.disconnect()
        return raw

    (message,) = [json.loads(text) for text in live(scenario)]
    assert message == {
        "type": "consultation.status",
        "consultation": consultation.pk,
        "status": "closed",
        "comments": True,
        "opens_at": consultation.opens_at.isoformat(),
        "closes_at": consultation.closes_at.isoformat(),
    }


def test_new_dates_published_by_an_editor_reach_readers_and_their_timers(
    application, consultation, act
):
    """The editor moves the closing to one second from now and publishes: readers get the
    new dates at once, then the closing when it comes, without reconnecting."""
    consultation.closes_at = timezone.now() + timedelta(days=30)
    consultation.save_revision().publish()

    def republish():
        page = type(consultation).objects.get(pk=consultation.pk)
        page.closes_at = timezone.now() + timedelta(seconds=1)
        page.save_revision().publish()

    async def scenario():
        reader, connected, _code = await open_stream(
            application, f"/ws/consultations/{consultation.pk}/"
        )
        assert connected
        await act(republish)
        raw = await frames(reader, timeout=3)
        await reader.disconnect()
        return raw

    first, second = [json.loads(text) for text in live(scenario)]
    assert first["type"] == "consultation.status"
    assert first["status"] == "open"
    new_closing = type(consultation).objects.get(pk=consultation.pk).closes_at
    assert datetime.fromisoformat(first["closes_at"]) == new_closing
    assert "cursor" in first  # journalled: a reader who was away catches it up
    assert second["type"] == "consultation.status"
    assert second["status"] == "closed"


def test_a_moderator_limited_to_some_consultations_hears_only_about_those(
    application, client, users, consultation_index, act
):
    from participation.models import ModeratorScope

    mine, other = (
        factories.consultation(
            consultation_index, title=title, comment_moderation=CommentModeration.A_PRIORI
        )
        for title in ("Plan vélo", "Budget participatif")
    )
    ModeratorScope.objects.create(moderator=users["moderator"], consultation=mine)
    scoped_cookie = session_cookie(client, users["moderator"])
    administrator_cookie = session_cookie(Client(), users["administrator"])

    async def scenario():
        scoped, connected, _code = await open_stream(application, "/ws/moderation/", scoped_cookie)
        everything, connected_too, _code = await open_stream(
            application, "/ws/moderation/", administrator_cookie
        )
        assert connected and connected_too
        await act(post, users["citizen"], mine, "Sur le plan vélo")
        await act(post, users["citizen"], other, "Sur le budget")
        result = await frames(scoped), await frames(everything)
        await scoped.disconnect()
        await everything.disconnect()
        return result

    scoped_frames, all_frames = live(scenario)
    assert [json.loads(text)["consultation"] for text in scoped_frames] == [mine.pk]
    assert sorted(json.loads(text)["consultation"] for text in all_frames) == sorted(
        [mine.pk, other.pk]
    )


# --- Who may connect ------------------------------------------------------------------------


def test_foreign_origins_unknown_consultations_and_citizens_on_the_moderation_stream_are_refused(
    application, client, users, consultation
):
    citizen_cookie = session_cookie(client, users["citizen"])

    async def attempt(path, *headers, origin=ORIGIN):
        communicator = WebsocketCommunicator(application, path, headers=[origin, *headers])
        connected, _code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    async def scenario():
        return {
            "foreign origin": await attempt(
                f"/ws/consultations/{consultation.pk}/", origin=(b"origin", b"https://evil.example")
            ),
            "unknown consultation": await attempt("/ws/consultations/999999/"),
            "anonymous moderation": await attempt("/ws/moderation/"),
            "citizen moderation": await attempt("/ws/moderation/", citizen_cookie),
            "citizen reader": await attempt(
                f"/ws/consultations/{consultation.pk}/", citizen_cookie
            ),
        }

    assert live(scenario) == {
        "foreign origin": False,
        "unknown consultation": False,
        "anonymous moderation": False,
        "citizen moderation": False,
        "citizen reader": True,
    }


def test_the_moderation_stream_needs_a_session_that_passed_the_second_factor(
    application, users, consultation
):
    password_only = Client()
    password_only.force_login(users["moderator"], second_factor=False)
    without = (b"cookie", f"sessionid={password_only.cookies['sessionid'].value}".encode())
    with_code = session_cookie(Client(), users["moderator"])

    async def attempt(cookie):
        communicator, connected, _code = await open_stream(application, "/ws/moderation/", cookie)
        await communicator.disconnect()
        return connected

    async def scenario():
        return {"password only": await attempt(without), "code typed": await attempt(with_code)}

    assert live(scenario) == {"password only": False, "code typed": True}


def test_a_draft_consultation_has_no_stream(application, consultation):
    consultation.unpublish()

    async def scenario():
        _reader, connected, _code = await open_stream(
            application, f"/ws/consultations/{consultation.pk}/"
        )
        return connected

    assert live(scenario) is False


# --- Bad clients ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ({"text_data": "not json"}, 4400),
        ({"text_data": '{"type": "subscribe", "group": "moderation"}'}, 4400),
        ({"text_data": "[1, 2]"}, 4400),
        ({"text_data": '{"type": "ping", "pad": "' + "x" * 2000 + '"}'}, 1009),
        ({"bytes_data": b"\x00\x01"}, 1003),
    ],
)
def test_bad_messages_close_that_connection_only(application, users, consultation, act, sent, code):
    async def scenario():
        path = f"/ws/consultations/{consultation.pk}/"
        bad, _ok, _code = await open_stream(application, path)
        good, _ok, _code = await open_stream(application, path)
        await bad.send_to(**sent)
        closed = await bad.receive_output(timeout=2)
        await good.send_json_to({"type": "ping"})
        pong = await good.receive_json_from(timeout=2)
        await act(post, users["citizen"], consultation, "Toujours là ?")
        after = await frames(good)
        await good.disconnect()
        return closed, pong, after

    closed, pong, after = live(scenario)
    assert closed == {"type": "websocket.close", "code": code, "reason": ""} or (
        closed["type"] == "websocket.close" and closed["code"] == code
    )
    assert pong == {"type": "pong"}
    assert [json.loads(text)["body"] for text in after] == ["Toujours là ?"]


def test_a_reader_who_never_reads_is_let_go_and_others_keep_receiving(
    application, users, consultation, act, settings, monkeypatch
):
    """The communicator always reads, so the stalled client is one whose frames never
    leave: its sends hang, its backlog fills, and the connection is closed."""
    settings.TRIBUNE_LIVE_MAX_BACKLOG = 3
    stalled = set()
    original_write = consumers._Stream.write

    async def write(self, text):
        if id(self) in stalled:
            await asyncio.Event().wait()  # never drained
        return await original_write(self, text)

    monkeypatch.setattr(consumers._Stream, "write", write)
    authors = [factories.UserFactory() for _ in range(6)]

    async def scenario():
        path = f"/ws/consultations/{consultation.pk}/"
        stalled_reader, _ok, _code = await open_stream(application, path)
        # The stalled consumer is the only member of the group so far.
        group = events.consultation_group(consultation.pk)
        stalled.update(id(member) for member in consumers.Relay.members_of(group))
        reader, _ok, _code = await open_stream(application, path)
        for n, author in enumerate(authors):
            await act(post, author, consultation, f"Commentaire {n}")
        closed = await stalled_reader.receive_output(timeout=2)
        received = await frames(reader)
        await reader.disconnect()
        return closed, received

    closed, received = live(scenario)
    assert closed["type"] == "websocket.close" and closed["code"] == consumers.CLOSE_TOO_SLOW
    assert len(received) == 6


# --- Catching up over HTTP --------------------------------------------------------------------


def catch_up(client, consultation, after):
    return client.get(f"/participation/consultations/{consultation.pk}/direct/", {"after": after})


def test_catch_up_returns_what_was_missed_with_each_readers_context(
    client, users, consultation, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    citizen, agent = users["citizen"], users["agent"]
    start = page_cursor(timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        mine = post(citizen, consultation, "Le mien")
    with django_capture_on_commit_callbacks(execute=True):
        theirs = post(agent, consultation, "Le sien")
    with django_capture_on_commit_callbacks(execute=True):
        services.set_support(user=citizen, comment=theirs, supported=True)
    with django_capture_on_commit_callbacks(execute=True):
        gone = post(agent, consultation, "Bientôt masqué")
    with django_capture_on_commit_callbacks(execute=True):
        hide(gone)

    client.force_login(citizen)
    # Sessions, consent and branding included; not one more per event or comment.
    with django_assert_max_num_queries(20):
        response = catch_up(client, consultation, start)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    answer = response.json()
    assert [event["type"] for event in answer["events"]] == [
        "comment.created",
        "comment.created",
        "comment.supports",
        "comment.created",
        "comment.removed",
    ]
    created = {
        event["id"]: event for event in answer["events"] if event["type"] == "comment.created"
    }
    # Each comment with the HTML its frame carried, the same for everyone…
    assert "Le mien" in created[mine.pk]["html"] and "Le sien" in created[theirs.pk]["html"]
    # …except a comment hidden since: neither its text nor its HTML is handed out again.
    hidden = answer["events"][3]
    assert hidden["id"] == gone.pk and "html" not in hidden and "body" not in hidden
    assert "Bientôt masqué" not in json.dumps(answer, ensure_ascii=False)
    # This reader's context: whose comments are theirs, what they support among these.
    reader = answer["reader"]
    assert reader["key"] == author_key(citizen.pk, consultation.pk)
    assert f'data-author="{reader["key"]}"' in created[mine.pk]["html"]
    assert f'data-author="{reader["key"]}"' not in created[theirs.pk]["html"]
    assert reader["supported"] == [theirs.pk]
    assert reader["support"] and reader["reply"] and reader["report"] and reader["edit"]
    assert answer["cursor"] == str(answer["events"][-1]["cursor"])
    assert answer["status"] == "open" and answer["more"] is False
    # From the last cursor on, nothing more.
    assert catch_up(client, consultation, answer["cursor"]).json()["events"] == []
    # Another reader gets the same events, with their own context.
    client.force_login(agent)
    other = catch_up(client, consultation, start).json()
    assert other["events"] == answer["events"]
    assert other["reader"]["key"] != reader["key"] and other["reader"]["supported"] == []
    assert other["reader"]["official"] is True
    assert citizen.email not in json.dumps(answer) and "@" not in json.dumps(answer)


def test_a_second_visitor_at_the_same_cursor_is_answered_from_the_shared_cache(
    client, users, consultation, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = page_cursor(timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        first_comment = post(users["citizen"], consultation, "Premier")
    with django_capture_on_commit_callbacks(execute=True):
        post(users["agent"], consultation, "Deuxième")
    # A row journalled without HTML (before frames carried it): rendered by the first
    # call, once, for everyone.
    LiveEvent.objects.filter(data__id=first_comment.pk).update(
        data={**LiveEvent.objects.get(data__id=first_comment.pk).data, "html": ""}
    )
    with CaptureQueriesContext(connection) as first:
        one = catch_up(client, consultation, start).json()
    with CaptureQueriesContext(connection) as second:
        two = catch_up(Client(), consultation, start).json()
    assert two == one
    assert "Premier" in one["events"][0]["html"]
    assert one["reader"] == {"signed_in": False}

    def renders(queries):
        return [
            query["sql"]
            for query in queries
            if "participation_comment" in query["sql"] or '"data"' in query["sql"]
        ]

    assert renders(first.captured_queries)  # the first one read and rendered the range
    # The second: the consultation (and its view restrictions) and the journal's last
    # row (part of the key); nothing read or rendered.
    assert renders(second.captured_queries) == []
    assert len(second.captured_queries) <= 3 < len(first.captured_queries)
    # An event written since makes a new range: never hidden by the kept answer.
    with django_capture_on_commit_callbacks(execute=True):
        post(users["citizen"], consultation, "Troisième")
    three = catch_up(client, consultation, start).json()
    assert [event["body"] for event in three["events"]] == ["Premier", "Deuxième", "Troisième"]


def test_catch_up_refuses_bad_cursors_and_unknown_consultations(client, consultation):
    for bad in ("", "abc", "t", "-1", "9" * 40, "t12x"):
        assert catch_up(client, consultation, bad).status_code == 400
    assert client.get("/participation/consultations/999999/direct/?after=1").status_code == 404


def test_catch_up_works_while_the_broadcast_is_down(
    client, users, consultation, settings, caplog, django_capture_on_commit_callbacks
):
    """Redis down: the comment is saved, the failure logged, and readers catch up."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    start = page_cursor(timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        comment = post(users["citizen"], consultation, "Malgré la panne")
    assert "broadcast of comment.created" in caplog.text
    events_seen = catch_up(client, consultation, start).json()["events"]
    assert [event["id"] for event in events_seen] == [comment.pk]


def test_the_journal_forgets_old_events(users, consultation, settings, monkeypatch):
    monkeypatch.setattr(events, "PRUNE_EVERY", 1)
    old = LiveEvent.objects.create(consultation_id=consultation.pk, audience="public", type="x")
    LiveEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.TRIBUNE_LIVE_JOURNAL_HOURS + 1)
    )
    events.publish(events.Event("comment.deleted", consultation.pk, {"id": 1}))
    assert not LiveEvent.objects.filter(pk=old.pk).exists()
    assert LiveEvent.objects.filter(type="comment.deleted").exists()


def test_the_consultation_page_starts_live_updates_without_extra_queries(client, consultation):
    response = client.get(consultation.url)
    html = response.content.decode()
    assert 'id="live"' in html
    assert f'data-socket="/ws/consultations/{consultation.pk}/"' in html
    assert 'data-cursor="t' in html
    assert "js/live." in html


def test_a_process_subscribes_once_per_group_and_a_busy_reader_gets_a_batch(
    application, users, consultation, act, monkeypatch
):
    """However many readers a process holds, the layer delivers each broadcast to it
    once; frames that pile up while a reader's send is slow leave as one batch."""
    original_write = consumers._Stream.write
    slow_once = []
    busy = set()

    async def write(self, text):
        if id(self) in busy and not slow_once:
            slow_once.append(1)
            await asyncio.sleep(0.5)  # the process is busy with this reader
        return await original_write(self, text)

    monkeypatch.setattr(consumers._Stream, "write", write)

    async def scenario():
        from channels.layers import get_channel_layer

        path = f"/ws/consultations/{consultation.pk}/"
        readers = [(await open_stream(application, path))[0]]
        group = events.consultation_group(consultation.pk)
        busy.update(id(member) for member in consumers.Relay.members_of(group))
        readers += [(await open_stream(application, path))[0] for _ in range(2)]
        subscribed = len(get_channel_layer().groups[group])
        for n in range(3):
            await act(post, users["citizen"], consultation, f"Rafale {n}")
        raw = []
        while not await readers[0].receive_nothing(timeout=1):
            raw.append((await readers[0].receive_output())["text"])
        others = [await frames(reader) for reader in readers[1:]]
        for reader in readers:
            await reader.disconnect()
        return subscribed, raw, others

    subscribed, raw, others = live(scenario)
    assert subscribed == 1
    assert len(raw) == 2
    assert json.loads(raw[0])["body"] == "Rafale 0"
    batch = json.loads(raw[1])
    assert batch["type"] == "batch"
    assert [event["body"] for event in batch["events"]] == ["Rafale 1", "Rafale 2"]
    for received in others:
        assert [json.loads(text)["body"] for text in received] == [f"Rafale {n}" for n in range(3)]


def test_with_the_layer_down_the_socket_is_refused_and_the_page_can_poll(
    application, client, consultation, settings
):
    """Redis down: the handshake is refused (the page falls back to polling), and the
    catch-up endpoint still answers."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()

    async def scenario():
        _reader, connected, _code = await open_stream(
            application, f"/ws/consultations/{consultation.pk}/"
        )
        return connected

    assert live(scenario) is False
    start = page_cursor(timezone.now())
    assert catch_up(client, consultation, start).status_code == 200


# --- The personal stream /ws/moi/: a person's own unread count, nobody else's ----------


def test_an_official_answer_raises_the_askers_count_on_their_stream_only(
    application, client, users, consultation, act
):
    asker, neighbour = users["citizen"], factories.UserFactory()
    question = services.post_comment(author=asker, consultation=consultation, body="Question ?")
    asker_cookie = session_cookie(client, asker)
    neighbour_cookie = session_cookie(Client(), neighbour)

    async def scenario():
        mine, connected, _code = await open_stream(application, "/ws/moi/", asker_cookie)
        assert connected
        theirs, connected, _code = await open_stream(application, "/ws/moi/", neighbour_cookie)
        assert connected
        await act(
            services.post_comment,
            author=users["agent"],
            consultation=consultation,
            parent=question,
            body="Réponse officielle.",
            official=True,
        )
        result = await frames(mine), await frames(theirs)
        await mine.disconnect()
        await theirs.disconnect()
        return result

    mine, theirs = live(scenario)
    assert [json.loads(text) for text in mine] == [{"type": "notifications.count", "unread": 1}]
    assert theirs == []  # not in the thread: nothing, and never the asker's figure
    assert asker.email not in "".join(mine) and str(asker.pk) not in "".join(mine)


def test_marking_all_read_brings_the_count_back_to_zero_live(
    application, client, users, consultation, act
):
    asker = users["citizen"]
    question = services.post_comment(author=asker, consultation=consultation, body="Q ?")
    services.post_comment(
        author=factories.UserFactory(), consultation=consultation, parent=question, body="R"
    )
    notification_services.fan_out("reply", question.pk + 1)
    cookie = session_cookie(client, asker)

    async def scenario():
        mine, connected, _code = await open_stream(application, "/ws/moi/", cookie)
        await act(notification_services.mark_all_read, user=asker)
        found = await frames(mine)
        await mine.disconnect()
        return connected, found

    connected, found = live(scenario)
    assert connected
    assert [json.loads(text)["unread"] for text in found] == [0]


def test_the_personal_stream_is_refused_to_visitors(application, db):
    async def scenario():
        communicator, connected, _code = await open_stream(application, "/ws/moi/")
        if connected:
            await communicator.disconnect()
        return connected

    assert live(scenario) is False
