"""The signing key is the same on every node: stored in the database, sealed with
SECRET_KEY, and a rotation on one node is what every other node signs with next."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ecampus import create_app
from ecampus.certificates import signing, vc
from ecampus.certificates.models import SigningKey
from ecampus.extensions import db


def _node(app, **settings):
    """A second application on the same database, as another machine would run it."""
    return create_app({"ENV_NAME": "testing", "TESTING": True,
                       "SECRET_KEY": app.config["SECRET_KEY"],
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "PUBLIC_URL": app.config["PUBLIC_URL"], **settings})


def _current(node) -> str:
    with node.app_context():
        key = signing.signing_key()
        db.session.commit()
        multikey = vc.public_multikey(key.public_key())
        db.session.remove()
        return multikey


def test_both_nodes_sign_with_the_key_the_first_one_created(app, other_node):
    assert _current(other_node) == _current(app)


def test_a_key_rotated_on_one_node_is_the_key_the_other_signs_with(app, other_node):
    first = _current(app)
    with app.app_context():
        rotated = signing.rotate_key()
    assert rotated != first
    assert _current(other_node) == rotated
    with other_node.app_context():
        assert set(signing.published_keys()) == {first, rotated}


def test_rotation_drops_the_old_private_key(app):
    first = _current(app)
    with app.app_context():
        signing.rotate_key()
        old = db.session.scalars(select(SigningKey).where(
            SigningKey.public_multikey == first)).one()
        assert (old.private_key, old.slot) == (None, None) and old.retired_at is not None


def test_the_stored_key_is_sealed_and_no_file_is_written(app):
    _current(app)
    with app.app_context():
        sealed = db.session.scalars(select(SigningKey.private_key)
                                    .where(SigningKey.slot == signing.CURRENT)).one()
        assert "PRIVATE KEY" not in sealed
        assert not signing._legacy_key_file().exists()


def test_a_node_with_another_secret_is_told_how_to_fix_it(app):
    _current(app)
    stranger = _node(app, SECRET_KEY="another-secret-" + "y" * 40)
    with stranger.app_context(), pytest.raises(signing.SigningKeyError, match="rotate-key"):
        signing.signing_key()


def test_rotation_needs_no_old_secret(app):
    first = _current(app)
    stranger = _node(app, SECRET_KEY="another-secret-" + "y" * 40)
    with stranger.app_context():
        rotated = signing.rotate_key()
    assert rotated != first and _current(stranger) == rotated


def test_the_key_file_of_an_earlier_version_becomes_the_shared_key(app, monkeypatch, tmp_path):
    key = vc.generate_key()
    legacy = tmp_path / "signing-key.pem"
    legacy.write_text(vc.private_key_to_pem(key))
    monkeypatch.setattr(signing, "_legacy_key_file", lambda: legacy)
    assert _current(app) == vc.public_multikey(key.public_key())


def test_a_configured_key_is_used_and_not_rotated_here(app):
    key = vc.generate_key()
    node = _node(app, SIGNING_KEY_PEM=vc.private_key_to_pem(key))
    assert _current(node) == vc.public_multikey(key.public_key())
    with node.app_context(), pytest.raises(signing.SigningKeyError, match="every node"):
        signing.rotate_key()


def test_rotate_key_command_reports_the_new_key(app):
    first = _current(app)
    result = app.test_cli_runner().invoke(args=["certificates", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "Now signing with z6Mk" in result.output and first not in result.output


def test_two_nodes_creating_the_first_key_at_once_keep_one(app, other_node):
    from tests.live import run_together

    first, second = run_together(lambda: _current(app), lambda: _current(other_node))
    assert first == second, (first, second)
    with app.app_context():
        current = db.session.scalars(select(SigningKey.public_multikey)
                                     .where(SigningKey.slot == signing.CURRENT)).all()
        assert current == [first]
