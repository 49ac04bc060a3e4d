"""Unit tests for the deck's parts: link signing and expiry, image checks, the file store, the key file."""
from __future__ import annotations

import io
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from bot.config import ConfigError, load_settings
from bot.core.errors import UserError
from bot.core.figures import check_figure, check_figures
from bot.core.links import LinkRefused, LinkSigner
from bot.core.model import MAX_FIGURE_BYTES, Figure, FigureUpload
from bot.secrets import GENERATED_KEY_FILE, SecretKeys, generated_key, new_key
from bot.store.files import DbFileStore
from tests.deck_data import png

NOW = datetime(2026, 11, 18, 12, tzinfo=timezone.utc)


# -------------------------------------------------------------------------- links
def test_a_link_opens_until_it_expires_and_not_a_second_later():
    signer = LinkSigner([b"k" * 32])
    token = signer.deck_token(7, 3, False, NOW + timedelta(days=7))
    claims = signer.open_deck(token, NOW + timedelta(days=6, hours=23))
    assert (claims.team_id, claims.member_id, claims.mine) == (7, 3, False)
    with pytest.raises(LinkRefused) as refused:
        signer.open_deck(token, NOW + timedelta(days=7))
    assert refused.value.expired


@pytest.mark.parametrize("change", [
    lambda t: t.replace("deck.7.", "deck.8.", 1),  # another group
    lambda t: t.replace(".3.all.", ".4.all.", 1),  # another member
    lambda t: t.replace(".all.", ".me.", 1),
    lambda t: t.rsplit(".", 2)[0] + ".9999999999." + t.rsplit(".", 1)[1],  # a later expiry
    lambda t: t[:-2],
    lambda t: t + "A",
    lambda t: "",
    lambda t: "deck.7.3.all.1.\u00e9",
])
def test_any_change_to_a_link_is_refused_as_not_valid(change):
    signer = LinkSigner([b"k" * 32])
    token = signer.deck_token(7, 3, False, NOW + timedelta(days=7))
    with pytest.raises(LinkRefused) as refused:
        signer.open_deck(change(token), NOW)
    assert not refused.value.expired


def test_a_figure_link_is_no_deck_link_and_the_reverse():
    signer = LinkSigner([b"k" * 32])
    figure = signer.figure_token(5, NOW + timedelta(days=1))
    deck = signer.deck_token(5, 1, False, NOW + timedelta(days=1))
    assert signer.open_figure(figure, NOW) == 5
    with pytest.raises(LinkRefused):
        signer.open_deck(figure, NOW)
    with pytest.raises(LinkRefused):
        signer.open_figure(deck, NOW)


def test_rotating_the_secret_key_keeps_links_while_the_old_key_is_listed_then_revokes_them():
    old, new = new_key(), new_key()
    token = LinkSigner(SecretKeys([old]).link_keys()).deck_token(1, 1, True, NOW + timedelta(days=7))
    assert LinkSigner(SecretKeys([new, old]).link_keys()).open_deck(token, NOW).mine
    with pytest.raises(LinkRefused):
        LinkSigner(SecretKeys([new]).link_keys()).open_deck(token, NOW)


def test_link_keys_are_derived_for_their_purpose_only():
    keys = SecretKeys([new_key()])
    assert keys.link_keys() != keys.derived(b"recapbot/stored-tokens/v1")


def test_a_generated_key_is_made_once_owner_only_and_reused(tmp_path):
    first = generated_key(tmp_path)
    path = tmp_path / GENERATED_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert generated_key(tmp_path) == first
    assert [p.name for p in tmp_path.iterdir()] == [GENERATED_KEY_FILE]  # nothing left aside
    path.write_text("damaged")
    with pytest.raises(ValueError):
        generated_key(tmp_path)  # never silently replaced: that would revoke every link


# ------------------------------------------------------------------------ settings
def test_deck_settings_are_checked_at_start():
    settings = load_settings({"RECAPBOT_PUBLIC_URL": "https://recap.example.org/", "RECAPBOT_LINK_DAYS": "14",
                              "DATABASE_URL": "sqlite:////srv/recapbot/bot.db"}, dotenv=False)
    assert (settings.public_url, settings.link_days, settings.data_dir) == (
        "https://recap.example.org", 14, "/srv/recapbot")
    for variable, value in (("RECAPBOT_PUBLIC_URL", "recap.example.org"), ("RECAPBOT_LINK_DAYS", "0"),
                            ("RECAPBOT_LINK_DAYS", "a week"), ("RECAPBOT_FILES_URL", "s3://bucket/figures"),
                            ("RECAPBOT_FILES_URL", "ftp://x")):
        with pytest.raises(ConfigError) as error:
            load_settings({variable: value}, dotenv=False)
        assert error.value.variable == variable


# -------------------------------------------------------------------------- images
def image(kind: str, **save) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 200)).save(out, format=kind, **save)
    return out.getvalue()


@pytest.mark.parametrize("kind,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"),
                                       ("WEBP", "image/webp")])
def test_png_jpeg_gif_and_webp_are_taken_by_their_content_not_their_name(kind, mime):
    checked = check_figure(FigureUpload(image(kind), " A caption ", name="figure.txt"))
    assert (checked.mime, checked.width, checked.height, checked.caption) == (mime, 30, 20, "A caption")


def test_a_truncated_png_is_refused():
    data = png(200, 200)
    with pytest.raises(UserError, match="could not be decoded"):
        check_figure(FigureUpload(data[: len(data) // 2], name="cut.png"))


@pytest.mark.parametrize("data,message", [
    (b"%PDF-1.7 not an image", "not an image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not an image"),
    (image("BMP"), "is a BMP image"),
    (image("TIFF"), "is a TIFF image"),
    (b"", "empty"),
])
def test_other_files_are_refused_with_what_to_use(data, message):
    with pytest.raises(UserError, match=message) as refused:
        check_figure(FigureUpload(data, name="slides.png"))
    assert "slides.png" in refused.value.message and "Nothing was saved" in refused.value.message


def test_an_image_over_five_megabytes_is_refused_before_it_is_decoded():
    with pytest.raises(UserError, match="at most 5 MB"):
        check_figure(FigureUpload(b"\x89PNG" + b"\0" * MAX_FIGURE_BYTES))


def test_at_most_four_figures_and_captions_are_checked_like_any_text():
    with pytest.raises(UserError, match="at most 4 figures"):
        check_figures(tuple(FigureUpload(png()) for _ in range(5)))
    with pytest.raises(UserError, match="caption"):
        check_figure(FigureUpload(png(), "x" * 201))
    with pytest.raises(UserError, match="caption"):
        check_figure(FigureUpload(png(), "bad \x1b[31m"))


# ---------------------------------------------------------------------- file store
class MemoryFileStore:
    """What an object-store backend (S3) must do, in memory: the port's contract below runs on both."""

    def __init__(self):
        self.objects: dict[int, bytes] = {}

    def put(self, figure, data):
        self.objects[figure.id] = data

    def get(self, figure):
        return self.objects.get(figure.id)

    def delete(self, figure):
        self.objects.pop(figure.id, None)


def test_the_file_store_port_keeps_replaces_and_deletes_bytes(core, engine, clock):
    from bot.core.model import RecapDraft
    from tests.conftest import person

    core.teams.configure(person("Ann"), [("meeting", "Mon 10:00")])
    result = core.recaps.submit(person("Ann"), RecapDraft(progress="x", figures=(FigureUpload(png()),)))
    [figure] = core.recaps.figures(result.recap)
    for store in (DbFileStore(engine), MemoryFileStore()):
        store.put(figure, b"one")
        store.put(figure, b"two")
        assert store.get(figure) == b"two"
        store.delete(figure)
        assert store.get(figure) is None
        store.delete(figure)  # deleting what is gone is fine


def test_new_figures_replace_the_old_ones_and_a_bad_one_stores_nothing(core, engine):
    from bot.core.model import RecapDraft
    from tests.conftest import person

    ann = person("Ann")
    core.teams.configure(ann, [("meeting", "Mon 10:00")])
    first = core.recaps.submit(ann, RecapDraft(progress="x", figures=(FigureUpload(png(), "a"), FigureUpload(png(), "b"))))
    assert [f.caption for f in core.recaps.figures(first.recap)] == ["a", "b"]
    kept = core.recaps.submit(ann, RecapDraft(progress="y"))  # no figures given: they stay
    assert [f.caption for f in core.recaps.figures(kept.recap)] == ["a", "b"]
    with pytest.raises(UserError, match="Figure 2"):
        core.recaps.submit(ann, RecapDraft(progress="z", figures=(FigureUpload(png(), "c"), FigureUpload(b"junk"))))
    assert core.recaps.figures(kept.recap)[0].caption == "a"
    assert core.recaps.history(ann, None, 1).recaps[0].progress == "y"  # the refused submission stored nothing
    replaced = core.recaps.submit(ann, RecapDraft(progress="w", figures=(FigureUpload(png(), "c"),)))
    [figure] = core.recaps.figures(replaced.recap)
    assert figure.caption == "c" and DbFileStore(engine).get(figure) == png()
