"""`manage.py check --deploy`: the unsafe defaults that hub/settings.py
refuses outside DEBUG (one list, hub/unsafe_defaults.py), reported as errors
for any settings module (a settings file that imports ours and changes values
afterwards included)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from .unsafe_defaults import unsafe_defaults


@register(Tags.security, deploy=True)
def unsafe_defaults_check(app_configs, **kwargs) -> list[Error]:
    return [
        Error(
            f"{unsafe.problem[0].upper()}{unsafe.problem[1:]}.", hint=unsafe.fix, id=unsafe.check_id
        )
        for unsafe in unsafe_defaults(settings)
    ]
