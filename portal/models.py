"""Import every feature's models, so that migrations and the app see the whole schema."""
from portal.aftercare.models import (  # noqa: F401
    CompletionAcceptance, Complaint, OwnerLink, RepairAttempt, RepairPhoto, RepairRequest,
)
from portal.api.models import ApiToken  # noqa: F401
from portal.auth.models import User, UserRole  # noqa: F401
from portal.certificates.models import PassCertificate  # noqa: F401
from portal.checklists.models import ChecklistCategory, ChecklistItem, ChecklistTemplate  # noqa: F401
from portal.dashboard.models import FiguresVersion  # noqa: F401
from portal.equipment.models import Equipment  # noqa: F401
from portal.fieldsync.models import FieldAction  # noqa: F401
from portal.finance.models import SettlementPayment  # noqa: F401
from portal.inspections.models import (  # noqa: F401
    Answer, AnswerChange, Inspection, InspectionEquipment, InspectionEvent,
)
from portal.notifications.models import Notification  # noqa: F401
from portal.numbering import NumberSequence  # noqa: F401
from portal.penalties.models import Penalty  # noqa: F401
from portal.photos.models import ClosureTest, ConcealedWorksRecord, Photo, PhotoMarkup  # noqa: F401
from portal.plans.models import FloorPlan, PlanPin  # noqa: F401
from portal.projects.models import Project  # noqa: F401
from portal.rectification.models import NoticeItem, RectificationNotice  # noqa: F401
from portal.schedule.models import Award, CalendarToken, SubmissionEntry, WeeklySubmission  # noqa: F401
from portal.signatures.models import Signature, SigningLink  # noqa: F401
