"""Notices to users about decisions, and draft replies to sensitive-request requesters, rendered from templates.

See :mod:`overt.enforcement.notices.render` for the templates and languages, and
:mod:`overt.enforcement.notices.model` for what goes in and comes out.
"""

from overt.enforcement.notices.model import (
    DETECTION_SOURCES,
    MIN_APPEAL_MONTHS,
    Notice,
    NoticeFacts,
    RequestReply,
    RequestReplyFacts,
    appeal_deadline,
)
from overt.enforcement.notices.render import (
    format_date,
    languages,
    normalise_language,
    render_notice,
    render_request_reply,
)

__all__ = [
    "DETECTION_SOURCES",
    "MIN_APPEAL_MONTHS",
    "Notice",
    "NoticeFacts",
    "RequestReply",
    "RequestReplyFacts",
    "appeal_deadline",
    "format_date",
    "languages",
    "normalise_language",
    "render_notice",
    "render_request_reply",
]
