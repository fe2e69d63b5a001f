"""Static file storage for production."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed names once `collectstatic` has run; plain ones before.

    A deployment that skips `collectstatic` still serves every page (whitenoise
    finds the files in the app folders) instead of failing on a missing
    manifest entry.
    """

    manifest_strict = False

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:  # not collected yet
            return name
