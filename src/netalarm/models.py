"""Every table, imported in one place so migrations and tests see the whole schema."""

from netalarm.accounts.models import Reporter, Seat, SeatToken, SignInFailures
from netalarm.boundary.models import LinkContact, LinkForward, LinkInbound
from netalarm.channels.sms.models import SmsAttempt, SmsDelivery
from netalarm.core.db import Base
from netalarm.core.outbox import OutboxEvent
from netalarm.incidents.models import Alarm, CaseCounter, Incident, LocationUpdate
from netalarm.media.models import Media, Upload
from netalarm.messaging.models import Message
from netalarm.routing.models import Centre
from netalarm.timeline.models import TimelineEntry
from netalarm.verification.models import PhoneVerification

metadata = Base.metadata

__all__ = [
    "Alarm",
    "CaseCounter",
    "Centre",
    "Incident",
    "LinkContact",
    "LinkForward",
    "LinkInbound",
    "LocationUpdate",
    "Media",
    "Message",
    "OutboxEvent",
    "PhoneVerification",
    "Reporter",
    "Seat",
    "SeatToken",
    "SignInFailures",
    "SmsAttempt",
    "SmsDelivery",
    "TimelineEntry",
    "Upload",
    "metadata",
]
