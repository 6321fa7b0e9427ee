"""The contracts between the pipeline's steps, its API and its data store.

Every payload one step hands to the next is a model here, so that a contract test can prove that
what one step emits, the next accepts.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from .regions import Licence, covers


class Contract(BaseModel):
    """Base for every contract: unknown fields are an error, not silently dropped."""

    # Validators are built on first use: a function pays only for the contracts it touches. A
    # validation error never quotes the value it refused: its text can end up in a log line.
    model_config = ConfigDict(
        extra="forbid", use_enum_values=False, defer_build=True, hide_input_in_errors=True
    )


class Tier(StrEnum):
    STANDARD = "standard"
    EXPEDITED = "expedited"


class Language(StrEnum):
    EN = "en"
    DE = "de"
    FR = "fr"
    IT = "it"


class FileKind(StrEnum):
    """What the patient declares a file to be."""

    DICOM = "dicom"
    REPORT = "report"
    DOCUMENT = "document"


class Verdict(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    SKIPPED = "skipped"
    REJECTED = "rejected"


class ContentKind(StrEnum):
    """What validation found a file to be."""

    IMAGE = "image"
    SECONDARY = "secondary"
    REPORT = "report"
    DOCUMENT = "document"
    OTHER = "other"


class CaseStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    RETURNED = "returned"
    IN_REVIEW = "in_review"
    REPORTING = "reporting"
    DELIVERED = "delivered"
    FAILED = "failed"


class AssignmentStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    REPORTED = "reported"
    CONSENSUS = "consensus"
    """Consensus reads that differ: the primary reader writes the agreed reading, seeing both."""
    COSIGN = "cosign"
    """The second reader co-signs the agreed reading."""
    TRANSLATION = "translation"
    """A reading written in another language than the patient's: a radiologist who reads both
    writes the translation, or checks and corrects the machine's, and signs it off."""
    SIGNED_OFF = "signed_off"
    """The translation is signed off; the report is made from it."""
    DECLINED = "declined"
    TIMED_OUT = "timed_out"


LIVE_ASSIGNMENT = frozenset({AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED})


class AssignmentTask(StrEnum):
    """What a radiologist is asked to do on a case."""

    READ = "read"
    TRANSLATION = "translation"


TokenPhase = Literal["offer", "read", "consensus", "cosign", "translation"]
"""Which wait of the workflow an assignment's task token belongs to."""


class Subspecialty(StrEnum):
    NEURO = "neuroradiology"
    MSK = "musculoskeletal"
    BODY = "body_imaging"
    BREAST = "breast_imaging"
    NUCLEAR = "nuclear_medicine"
    ULTRASOUND = "ultrasound"
    CHEST = "chest"


class Radpeer(StrEnum):
    """ACR RADPEER (2016): concordance of this reading with the original one."""

    CONCUR = "1"
    UNDERSTANDABLE_MINOR = "2a"
    UNDERSTANDABLE_SIGNIFICANT = "2b"
    EXPECTED_MINOR = "3a"
    EXPECTED_SIGNIFICANT = "3b"


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000)]
FindingsText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
SummaryText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


# --- Patient API -------------------------------------------------------------------------------


class CaseRequest(Contract):
    """What a patient sends to open a case."""

    tier: Tier
    consensus: bool = False
    longitudinal: bool = False
    language: Language
    region: Licence = Field(default="CH", description="Where the patient lives: a country or a Swiss canton.")
    email: EmailStr
    symptoms: LongText = ""
    questions: list[ShortText] = Field(default_factory=list, max_length=10)
    clinical_history: LongText = ""
    original_institution: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        default="", description="Who made the first reading, if the patient knows: kept out of the review."
    )
    original_radiologist: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    consent: bool = Field(description="The patient agrees to the processing of their health data.")


class CaseCreated(Contract):
    case_id: str
    access_token: str = Field(description="Shown once; keep it to follow and receive the case.")
    status: CaseStatus


class FileDeclaration(Contract):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    size: int = Field(gt=0, description="Size in bytes, as the browser reports it.")
    kind: FileKind = FileKind.DICOM


class FilesRequest(Contract):
    files: list[FileDeclaration] = Field(min_length=1, max_length=500)


class MultipartPlan(Contract):
    upload_id: str
    part_size: int = Field(description="Bytes per part; the last part may be smaller.")
    part_count: int


class UploadInstruction(Contract):
    """How to send one file: a form POST (url + fields), or, for large files, a multipart upload
    whose part URLs are asked for on demand."""

    file_id: str
    name: str
    method: Literal["post", "multipart"]
    url: str | None = None
    fields: dict[str, str] = Field(default_factory=dict, description="Form fields to send with a POST.")
    multipart: MultipartPlan | None = None
    expires_at: datetime


class PartsRequest(Contract):
    part_numbers: list[Annotated[int, Field(ge=1, le=10000)]] = Field(min_length=1, max_length=100)


class PartUrl(Contract):
    part_number: int
    url: str


class PartsIssued(Contract):
    parts: list[PartUrl]
    expires_at: datetime


class CompletedPart(Contract):
    part_number: int = Field(ge=1, le=10000)
    etag: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class CompleteRequest(Contract):
    parts: list[CompletedPart] = Field(min_length=1, max_length=10000)


class FilesDeclared(Contract):
    uploads: list[UploadInstruction]


class TimelineEntry(Contract):
    at: datetime
    event: str
    actor: str = "system"


class FileStatus(Contract):
    file_id: str
    name: str
    kind: FileKind
    verdict: Verdict
    content: ContentKind | None = None
    reason: str | None = None
    message: str | None = None


class CaseView(Contract):
    """What the patient sees of their case."""

    case_id: str
    status: CaseStatus
    tier: Tier
    language: Language
    deadline: datetime | None
    files: list[FileStatus]
    studies: list[StudyGroup] = Field(default_factory=list)
    people: int = Field(default=0, description="How many different people the DICOM headers name.")
    timeline: list[TimelineEntry]
    problems: list[str] = Field(default_factory=list)
    erase_after: datetime | None = Field(
        default=None,
        description="Not submitted by then, the case is erased with its files (abandoned_case_days).",
    )


class SubmitRequest(Contract):
    confirm_different_people: bool = Field(
        default=False,
        description="The patient confirms that files whose headers name different people are all theirs.",
    )


class ReportLink(Contract):
    download_url: str
    expires_at: datetime


# --- Stored records ----------------------------------------------------------------------------


class CaseRecord(Contract):
    case_id: str
    token_hash: str
    identity_salt: str = Field(
        default="", description="Per-case key for DicomFacts.patient_key; never shown."
    )
    request_hash: str | None = Field(
        default=None,
        description="HMAC (by identity_salt) of the request that opened the case under an "
        "Idempotency-Key, so that a repeat of the same request is told apart from another.",
    )
    status: CaseStatus
    tier: Tier
    consensus: bool
    longitudinal: bool
    language: Language
    region: str = "CH"
    email: str
    symptoms: str
    questions: list[str]
    clinical_history: str
    original_institution: str = ""
    original_radiologist: str = ""
    created_at: datetime
    submitted_at: datetime | None = None
    deadline: datetime | None = None
    subspecialty: Subspecialty | None = None
    report_key: str | None = None
    verification_code: str | None = None
    delivered_at: datetime | None = None
    notified_at: datetime | None = None
    escalated: bool = False
    alerts: list[str] = Field(default_factory=list, description="Escalation reasons ops were told of.")
    problems: list[str] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    html_key: str | None = None
    revoked_at: datetime | None = Field(default=None, description="Ops withdrew the delivery: no more links.")
    download_count: int = 0
    code_hash: str | None = Field(default=None, description="The one-time download code, salted and hashed.")
    code_expires_at: datetime | None = None
    code_issued_at: datetime | None = None
    code_attempts: int = Field(default=0, description="Tries spent on the current code.")
    code_failures: int = Field(default=0, description="Wrong codes entered over the case's life.")
    run: int = Field(default=0, ge=0, description="The review run: ops restart a failed case as the next.")

    @property
    def execution_name(self) -> str:
        """The name of the case's current review execution: one per case and run, so a run
        starts once, and a failed case restarted by ops can start the next."""
        return execution_name(self.case_id, self.run)


def execution_name(case_id: str, run: int = 0) -> str:
    return case_id if run == 0 else f"{case_id}-run{run}"


def execution_arn(state_machine_arn: str, case_id: str, run: int = 0) -> str:
    """The ARN of a case's review execution (its first run's by default)."""
    executions = state_machine_arn.replace(":stateMachine:", ":execution:")
    return f"{executions}:{execution_name(case_id, run)}"


class DicomFacts(Contract):
    """What validation read from a DICOM header; nothing that identifies the patient."""

    sop_class_uid: str | None = None
    patient_key: str | None = Field(
        default=None, description="Keyed digest of the patient's identity, per case; never the identity."
    )
    modality: str | None = None
    body_part: str | None = None
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    study_date: str | None = None
    study_description: str | None = None
    series_description: str | None = None
    transfer_syntax: str | None = None
    institution: str | None = Field(default=None, description="Where the study was made (InstitutionName).")


class FileVerdict(Contract):
    """The validation core's judgement of one object."""

    verdict: Verdict
    content: ContentKind | None = None
    reason: str | None = None
    message: str | None = None
    facts: DicomFacts = Field(default_factory=DicomFacts)
    bytes_read: int = 0


class FileRecord(Contract):
    case_id: str
    file_id: str
    name: str
    size: int
    kind: FileKind
    key: str
    verdict: Verdict = Verdict.PENDING
    content: ContentKind | None = None
    reason: str | None = None
    message: str | None = None
    facts: DicomFacts = Field(default_factory=DicomFacts)
    version_id: str | None = None
    upload_id: str | None = Field(default=None, description="An open multipart upload of this file.")


class TimeOff(Contract):
    """A period away, both days included."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> TimeOff:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


ZURICH = ZoneInfo("Europe/Zurich")


class Radiologist(Contract):
    radiologist_id: str
    name: str
    email: EmailStr | None = None
    subspecialties: list[Subspecialty]
    languages: list[Language]
    institution: str
    licences: list[Licence] = Field(default_factory=list)
    capacity: int = Field(ge=0, default=5)
    open_reads: int = Field(ge=0, default=0)
    available: bool = True
    time_off: list[TimeOff] = Field(default_factory=list)

    def is_available(self, on: datetime) -> bool:
        """Available, and `on` (aware) falls on no day off, days as the calendar in Zurich has them."""
        day = on.astimezone(ZURICH).date()
        return self.available and not any(p.start <= day <= p.end for p in self.time_off)

    def licensed_for(self, region: str) -> bool:
        return covers(self.licences, region)


class AssignmentRecord(Contract):
    assignment_id: str
    case_id: str
    radiologist_id: str
    attempt: int
    status: AssignmentStatus
    subspecialty: Subspecialty
    reason: str
    offered_at: datetime
    due_at: datetime
    task_token_ciphertext: str | None = None
    decline_reason: str | None = None
    reader: int = 1
    task: AssignmentTask = AssignmentTask.READ
    token_phase: TokenPhase | None = None
    accepted_at: datetime | None = None
    read_limit_seconds: int = Field(default=86400, description="The longest read, from the workflow input.")
    heartbeat_seconds: int | None = Field(
        default=None, description="Silence after which the read is taken back, from the workflow input."
    )
    report_margin_seconds: int = 0
    submission: ReportSubmission | None = Field(
        default=None, description="The reading; for a translation, the reading in the patient's language."
    )
    reported_at: datetime | None = None
    readability: list[ReadabilityResult] = Field(default_factory=list)
    agreed_submission: ReportSubmission | None = None
    cosigned_at: datetime | None = None
    cosign_comment: str | None = None
    translation: Translation | None = None
    released: bool = False
    """The radiologist's slot was given back (on report, or by the workflow after a miss)."""
    carried_from: str | None = None
    """The reading of an earlier, failed run this one was copied from (a restart by ops)."""


# --- Radiologist API ---------------------------------------------------------------------------


class QuestionAnswer(Contract):
    question: str
    answer: ShortText


class PriorChange(StrEnum):
    """How the findings changed since an earlier study (longitudinal reads)."""

    NEW = "new"
    STABLE = "stable"
    IMPROVED = "improved"
    WORSE = "worse"


class StudyComparison(Contract):
    """The current study compared with one earlier study of the case."""

    study_instance_uid: str
    change: PriorChange
    note: LongText = ""


class ReadabilityResult(Contract):
    """A plain-language text's score in its language (DOMAIN.md's formulas), kept with the report."""

    section: str
    formula: str
    value: float | None
    target: float
    passes: bool


class ReportSubmission(Contract):
    """The radiologist's structured reading."""

    findings: FindingsText
    impression: ShortText
    summary: SummaryText = Field(description="The plain-language summary for the patient.")
    answers: list[QuestionAnswer] = Field(default_factory=list)
    radpeer: Radpeer
    radpeer_reasoning: ShortText
    recommendations: list[ShortText] = Field(default_factory=list)
    critical_finding: bool = False
    comparisons: list[StudyComparison] = Field(
        default_factory=list, description="One per earlier study of a longitudinal case."
    )
    confirm_readability: bool = Field(
        default=False, description="Submit although the plain-language texts score above the target."
    )
    language: Language | None = Field(
        default=None,
        description="The language the texts are written in; omitted, the patient's. A reading in "
        "another language is translated and signed off by a radiologist before the report goes out.",
    )


class ComparisonNote(Contract):
    """The note on one earlier study, in the patient's language."""

    study_instance_uid: str
    note: LongText = ""


class TranslatedTexts(Contract):
    """Everything of a reading the patient reads, in the patient's language; the grades (RADPEER,
    critical finding, changes since earlier studies) stay as the radiologist gave them."""

    findings: FindingsText
    impression: ShortText
    summary: SummaryText
    answers: list[QuestionAnswer] = Field(
        default_factory=list, description="Each of the patient's questions (as they asked it) answered."
    )
    radpeer_reasoning: ShortText
    recommendations: list[ShortText] = Field(
        default_factory=list, description="One per recommendation of the reading, in its order."
    )
    comparison_notes: list[ComparisonNote] = Field(
        default_factory=list, description="One per earlier study the reading compares with."
    )


class TranslationSignoff(TranslatedTexts):
    """A radiologist who reads both languages signs the translation off, as written here."""

    confirm_readability: bool = Field(
        default=False, description="Sign off although the plain-language texts score above the target."
    )


TranslatorName = Literal["none", "amazon-translate"]
"""Who drafts a translation: nobody (a radiologist writes it) or Amazon Translate."""


class Translation(Contract):
    """A translation of one reading, kept with the assignment of the radiologist who signs it off."""

    source_language: Language
    target_language: Language
    reading_assignment_id: str
    agreed: bool = Field(default=False, description="The reading is the agreed one of a consensus.")
    translator: TranslatorName
    draft: TranslatedTexts | None = Field(
        default=None, description="The machine's translation to check; none: the radiologist writes it."
    )
    signed_off_at: datetime | None = None
    corrected: bool | None = Field(
        default=None, description="The signed-off text differs from the machine's draft."
    )


class TranslationTask(Contract):
    """What the radiologist who signs a translation off sees."""

    source_language: Language
    target_language: Language
    translator: TranslatorName
    original: ReportSubmission = Field(description="The reading as its radiologist wrote it.")
    draft: TranslatedTexts | None = Field(
        default=None, description="The machine's translation, to correct and sign off; none: write it."
    )


class DeclineRequest(Contract):
    reason: ShortText


class WorklistItem(Contract):
    assignment_id: str
    case_id: str
    status: AssignmentStatus
    subspecialty: Subspecialty
    tier: Tier
    due_at: datetime = Field(description="When the offer lapses, or the read is due.")
    case_deadline: datetime | None
    sla: str


class SeriesGroup(Contract):
    series_instance_uid: str
    modality: str | None
    description: str | None
    instance_count: int


class StudyGroup(Contract):
    """One study of a case, as its headers describe it."""

    study_instance_uid: str
    modalities: list[str]
    body_part: str | None
    description: str | None
    study_date: str | None
    series: list[SeriesGroup]
    instance_count: int
    current: bool = Field(description="The most recent study: the one the second opinion is about.")


class StudyFile(Contract):
    file_id: str
    name: str
    content: ContentKind | None
    url: str
    study_instance_uid: str | None = Field(default=None, description="For the viewer to group images.")
    series_instance_uid: str | None = None


class AssignmentView(Contract):
    assignment_id: str
    case_id: str
    status: AssignmentStatus
    due_at: datetime
    heartbeat_seconds: int | None = Field(
        default=None, description="The workstation must beat within this while the read is open."
    )
    tier: Tier
    language: Language
    longitudinal: bool = Field(default=False, description="Compare the current study with each earlier one.")
    symptoms: str
    questions: list[str]
    clinical_history: str
    studies: list[StudyGroup]
    files: list[StudyFile]
    readings: list[ReportSubmission] = Field(
        default_factory=list,
        description="Both consensus readings (own first), shown only once both readers have submitted.",
    )
    translation: TranslationTask | None = Field(
        default=None, description="On a translation assignment: the reading to translate, and any draft."
    )


class ReadabilityRequest(Contract):
    """A draft of a plain-language text, scored while the radiologist writes it."""

    language: Language
    text: Annotated[str, StringConstraints(max_length=20000)]


class ReadabilityCheck(Contract):
    formula: str
    value: float | None
    target: float
    higher_is_better: bool
    passes: bool
    hardest_sentences: list[str] = Field(description="Up to three sentences to rewrite first.")


class ActionResult(Contract):
    assignment_id: str
    status: AssignmentStatus


class OpsCase(Contract):
    case_id: str
    status: CaseStatus
    tier: Tier
    deadline: datetime | None
    sla: str
    escalated: bool
    alerts: list[str] = Field(default_factory=list)


class OpsAssignment(Contract):
    assignment_id: str
    radiologist_id: str
    task: AssignmentTask = AssignmentTask.READ
    attempt: int
    status: AssignmentStatus
    subspecialty: Subspecialty
    reason: str
    offered_at: datetime
    accepted_at: datetime | None
    due_at: datetime
    decline_reason: str | None


class OpsCaseDetail(OpsCase):
    """What ops see of one case: where it stands and its audit trail, no health data."""

    subspecialty: Subspecialty | None
    submitted_at: datetime | None
    timeline: list[TimelineEntry]
    assignments: list[OpsAssignment]


class ReassignRequest(Contract):
    reason: ShortText


# --- Workflow payloads -------------------------------------------------------------------------


class WorkflowTimeouts(Contract):
    """Durations in seconds, derived from the case's SLA (and the local time scale)."""

    offer_seconds: int = Field(ge=1, description="The acceptance window of an offer.")
    review_seconds: int = Field(ge=1, description="The longest read one radiologist may hold the case.")
    heartbeat_seconds: int = Field(ge=1, description="Silence after which a read counts as abandoned.")
    queue_seconds: int = Field(ge=1, description="Pause before trying again when nobody is available.")
    report_margin_seconds: int = Field(ge=0, description="Kept before the deadline for report and delivery.")


class WorkflowInput(Contract):
    """The state machine's execution input, written by intake on submit."""

    case_id: str
    run: int = Field(default=0, ge=0, description="The case's review run (ops restart a failed case).")
    attempt: int = 0
    max_attempts: int = Field(ge=1)
    consensus: bool = False
    timeouts: WorkflowTimeouts


class AssignRequest(Contract):
    case_id: str
    run: int = Field(default=0, ge=0)
    attempt: int
    reader: int = Field(default=1, ge=1, le=2, description="Which of a consensus case's two readers.")
    timeouts: WorkflowTimeouts


class AssignResult(Contract):
    assignment_id: str
    radiologist_id: str
    carried: bool = Field(
        default=False,
        description="A reading an earlier, failed run got: the workflow skips the offer and the read.",
    )


class OfferRequest(Contract):
    """The workflow waits on a task token: for the offer to be accepted, for the report, for a
    consensus step, or for a translation to be signed off."""

    assignment_id: str
    task_token: str
    phase: TokenPhase = "offer"


class AcceptOutcome(Contract):
    """What the offer task resumes with: how long the read may take."""

    assignment_id: str
    read_seconds: int = Field(ge=1)


class ReleaseRequest(Contract):
    """A review that ended without a report: timed out or declined."""

    case_id: str
    assignment_id: str
    error: str
    attempt: int


class ReleaseResult(Contract):
    attempt: int


class EscalateRequest(Contract):
    case_id: str
    reason: str = Field(description="A stable code: ops are told once per case and reason.")


STEP_FAILED = "step_failed"
"""The reason the workflow escalates with when a step failed beyond its retries and it stops; a
restart by ops clears it from the case's alerts, so that they hear of a second failure too."""


class RestartResult(Contract):
    """A failed case ops restarted: its new review run."""

    case_id: str
    status: CaseStatus
    run: int


class ReviewOutcome(Contract):
    """What the wait-for-radiologist task resumes with (SendTaskSuccess output)."""

    assignment_id: str
    radiologist_id: str


class Reading(Contract):
    """Which reading the report is made of: one reader's, or a consensus of two."""

    assignment_id: str
    second_assignment_id: str | None = None
    agreed: bool = Field(default=False, description="Use the primary's agreed reading after a discordance.")


class ReportRequest(Contract):
    case_id: str
    reading: Reading
    translation_assignment_id: str | None = Field(
        default=None, description="The signed-off translation of the reading, when it needed one."
    )


class TranslationRequest(Contract):
    """The workflow asks for the reading in the patient's language: nothing to do when it is
    written in it, otherwise a radiologist who reads both languages is asked to sign one off."""

    case_id: str
    reading: Reading
    run: int = Field(default=0, ge=0)
    attempt: int = Field(default=0, ge=0)
    timeouts: WorkflowTimeouts


class TranslationResult(Contract):
    needed: bool
    attempt: int
    assignment_id: str | None = None
    radiologist_id: str | None = None


class CompareRequest(Contract):
    case_id: str
    reads: list[ReviewOutcome] = Field(min_length=2, max_length=2, description="Reader 1's, then reader 2's.")


class CompareResult(Contract):
    concordant: bool
    primary_assignment_id: str
    second_assignment_id: str


class CosignRequest(Contract):
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class ReportResult(Contract):
    case_id: str
    report_key: str
    html_key: str


class DeliverResult(Contract):
    case_id: str
    delivered_at: datetime


AssignmentRecord.model_rebuild()


# --- Delivery and erasure ----------------------------------------------------------------------

ReportFormat = Literal["pdf", "html"]
ERASED = "erased"
"""The status of a case's item once the case is erased: only an anonymous record remains."""


class DeliveryStatus(Contract):
    """What the patient's report page shows; reading it mints nothing (mail scanners fetch GETs)."""

    case_id: str
    ready: bool = Field(description="The report has been delivered.")
    available: bool = Field(description="A download link can be asked for now (POST .../report/link).")
    delivered_at: datetime | None
    expires_at: datetime | None = Field(description="When the delivery ends and links are refused.")
    expired: bool
    revoked: bool
    formats: list[ReportFormat]


class LinkRequest(Contract):
    """Ask for a download link, with the one-time code when there is no access token."""

    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None = Field(
        default=None, description="The 6-digit code e-mailed by POST .../report/code."
    )
    format: ReportFormat = "pdf"


class CodeRequested(Contract):
    """The same answer whether or not the case exists, so that ids cannot be probed."""

    message: str
    valid_seconds: int


class Revocation(Contract):
    case_id: str
    revoked_at: datetime


class ErasedCase(Contract):
    """What remains of an erased case: that it existed, its tier, and when what happened."""

    case_id: str
    status: Literal["erased"] = "erased"
    tier: Tier
    created_at: datetime
    submitted_at: datetime | None = None
    delivered_at: datetime | None = None
    erased_at: datetime
    erased_by: str = Field(
        description="The ops user who carried out the erasure, or retention:abandoned (the sweep)."
    )
    timeline: list[TimelineEntry] = Field(
        default_factory=list, description="Event names and times; actors reduced to their role."
    )


class ErasureResult(Contract):
    case_id: str
    status: Literal["erased"] = "erased"
    erased_at: datetime
    objects_deleted: int = Field(description="Object versions and delete markers removed in this call.")
    files_deleted: int
    assignments_deleted: int
