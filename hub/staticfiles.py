"""The static files storage production serves from (whitenoise's compressed
manifest), with each URL looked up once per process."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HubStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """`{% static %}` asks the storage for a URL on every render: three or
    four a hub page (the stylesheet, the script, the icon), each about 25 µs
    of name cleaning, manifest lookup and URL joining, for an answer that
    cannot change while the process runs (the manifest is read once, at
    start). So the answers are kept, per process, by name.

    Only successful lookups are kept (a name missing from the manifest still
    raises every time), and collectstatic, which rewrites the manifest,
    starts from an empty memory.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url

    def post_process(self, *args, **kwargs):
        self._urls.clear()
        yield from super().post_process(*args, **kwargs)
        self._urls.clear()
