"""Indonesian (``id``) message catalogues for the libraries the UI is built on.

This directory holds gettext catalogues in the usual ``<locale>/LC_MESSAGES/<domain>.po|.mo`` layout:

* ``admin``   - Flask-Admin's built-in strings (Flask-Admin ships no Indonesian catalogue). Flask-Admin
  finds it through ``Admin(translations_path=TRANSLATIONS_DIR)`` (see ``views/__init__.py``).
* ``wtforms`` - WTForms' validator and field messages (WTForms ships no Indonesian catalogue either).

Both Flask-Admin (``flask_admin.babel.wtforms_domain``) and Flask-WTF (``flask_wtf.i18n``) look up
WTForms messages only in WTForms' own locale directory, so :func:`init_app` points both at a
Flask-Babel domain that also searches this directory.

After editing a ``.po`` file recompile it (the ``.mo`` files are committed)::

    pybabel compile -D admin -d kinerja_admin/translations -l id
    pybabel compile -D wtforms -d kinerja_admin/translations -l id

Notes on the catalogues:

* ``admin.po`` covers every msgid of Flask-Admin 2.2.1's catalogue (the same set ``pybabel extract``
  finds in the package source), plus the page-size options ``"20 item"/"20 items"`` etc., whose
  msgids the list template builds at run time. After a Flask-Admin upgrade, compare against
  ``flask_admin/translations/en/LC_MESSAGES/admin.po`` for new msgids.
* ``wtforms.po`` covers WTForms 3.3's ``wtforms/locale/wtforms.pot``.
* Both declare ``Plural-Forms: nplurals=2; plural=(n != 1)`` (with identical forms where Indonesian
  does not inflect) instead of Indonesian's usual ``nplurals=1``: Flask-Babel's multi-directory
  ``Domain`` merges catalogues and keeps the plural rule of the *last* directory, which for
  Flask-Admin is its own directory without ``id`` (English rule). A one-form catalogue would then
  miss every plural lookup with n != 1.
* Flask-WTF's CSRF reasons ("The CSRF token is missing." ...) are not gettext strings; CSRFProtect
  turns them into a 400 answered by our Indonesian error page, so users never see them.
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import Domain
from wtforms.i18n import messages_path

TRANSLATIONS_DIR = str(Path(__file__).resolve().parent)

# WTForms' own directory first and ours last: Domain.get_translations merges the catalogues in
# order and later ones win, so our catalogue can also override a shipped locale if ever needed.
wtforms_domain = Domain([messages_path(), TRANSLATIONS_DIR], domain="wtforms")


class WTFormsTranslations:
    """The object WTForms' ``Meta.get_translations`` returns: the ``wtforms`` domain, current locale."""

    def gettext(self, string: str) -> str:
        return wtforms_domain.get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return wtforms_domain.get_translations().ungettext(singular, plural, n)


translations = WTFormsTranslations()


def init_app(app) -> None:
    """Make WTForms messages on Flask-Admin and Flask-WTF forms use our catalogue.

    Both hooks replace a module global that the libraries read at call time, so this is idempotent
    and safe to run for every app instance (tests create many).
    """
    import flask_admin.babel as admin_babel

    # flask_admin.form.BaseForm.Meta.get_translations -> flask_admin.babel.Translations, which reads
    # the module-level `wtforms_domain` on every call.
    admin_babel.wtforms_domain = wtforms_domain

    try:
        import flask_wtf.form as wtf_form
    except ImportError:  # pragma: no cover - Flask-WTF is a hard dependency
        return
    # FlaskForm.Meta.get_translations returns the module-level `translations` object when
    # WTF_I18N_ENABLED is on (the default); it would otherwise load WTForms' directory only.
    wtf_form.translations = translations
