"""A workspace's configuration: small validated dataclasses, stored as JSON next to the workspace."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from customer_service.errors import SettingsError

if TYPE_CHECKING:
    from customer_service.intent_blend import BlendWeights

INTENT_METHODS = ("head", "full", "lora", "topk")  # the core's classification methods
MAX_MESSAGE_CHARS = 4000


def default_intent_epochs(method: str) -> int:
    """A frozen encoder's head needs many cheap epochs; training the encoder needs few expensive ones."""
    return 10 if method == "head" else 3  # longer than any real chat message; protects the encoder and the store


@dataclass
class RetrievalSettings:
    encoder: str = field(default="minilm", metadata={"help": "Catalogue name, registry task or folder of the encoder."})
    chunk_chars: int = field(default=700, metadata={"help": "Target characters per document chunk."})
    chunk_overlap: int = field(default=120, metadata={"help": "Characters shared by consecutive chunks."})
    top_k: int = field(default=4, metadata={"help": "Passages kept for the answer."})
    rrf_k: int = field(default=10, metadata={"help": "Reciprocal-rank-fusion constant."})
    lexical_weight: float = field(default=0.2, metadata={"help": "Weight of the BM25 ranking in the fusion (dense = 1)."})
    candidates: int = field(default=30, metadata={"help": "Hits taken from each retriever before fusion."})
    index_encoder: str = field(default="", metadata={
        "help": "A larger encoder that embeds the passages only (e.g. mpnet); queries reach its space through a "
                "fitted projection of the serving encoder's vector, so answer latency stays the serving encoder's. "
                "'' = off."})
    projection_weight: float = field(default=1.0, metadata={
        "help": "Weight of the index encoder's cosine in the dense score (serving encoder's = 1)."})

    def __post_init__(self) -> None:
        if self.chunk_chars < 100:
            raise SettingsError(f"chunk_chars must be at least 100, got {self.chunk_chars}.")
        if not 0 <= self.chunk_overlap < self.chunk_chars // 2:
            raise SettingsError(
                f"chunk_overlap must be in [0, chunk_chars/2), got {self.chunk_overlap} for chunk_chars={self.chunk_chars}."
            )
        if not 0 <= self.lexical_weight <= 10:
            raise SettingsError(f"lexical_weight must be in [0, 10], got {self.lexical_weight}.")
        if not 0 <= self.projection_weight <= 10:
            raise SettingsError(f"projection_weight must be in [0, 10], got {self.projection_weight}.")
        for name in ("top_k", "rrf_k", "candidates"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, got {getattr(self, name)}.")


@dataclass
class HandoffSettings:
    intent_threshold: float = field(default=0.6, metadata={"help": "Minimum intent confidence to answer from a template."})
    retrieval_threshold: float = field(default=0.45, metadata={"help": "Minimum top-passage similarity to answer from the knowledge base."})
    calibrated: bool = field(default=False, metadata={"help": "Whether the thresholds came from calibration on a dev split."})
    intent_confidence: str = field(default="nearest", metadata={
        "help": "What the intent threshold is compared with: 'nearest' (cosine to the closest training example; "
                "hands over out-of-scope text far better) or 'softmax' (the classifier's probability)."})
    calibration: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "What the last calibration measured: when, on what data, and the expected coverage, precision "
                "and out-of-scope rejection per threshold (workspace_calibration.py)."})

    def __post_init__(self) -> None:
        if self.intent_confidence not in ("nearest", "softmax"):
            raise SettingsError(f"intent_confidence must be 'nearest' or 'softmax', got {self.intent_confidence!r}.")
        for name in ("intent_threshold", "retrieval_threshold"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and -2.0 <= value <= 2.0):
                raise SettingsError(f"{name} must be a similarity/probability threshold in [-2, 2], got {value!r}.")


@dataclass
class GenerationSettings:
    mode: str = field(default="off", metadata={"help": "off (extractive), local (SmolLM2) or endpoint (OpenAI-compatible)."})
    model: str = field(default="smollm2", metadata={"help": "Local model name/folder, or the model name sent to the endpoint."})
    endpoint_url: str = field(default="", metadata={"help": "Base URL of an OpenAI-compatible server, e.g. http://host:8000/v1."})
    api_key_env: str = field(default="OPENAI_API_KEY", metadata={"help": "Environment variable holding the endpoint's key."})
    allow_plain_http: bool = field(default=False, metadata={
        "help": "Send the key to an http:// endpoint (in clear). Off: a key is only sent over https."})
    timeout_s: float = field(default=20.0, metadata={"help": "Past this, the extractive answer is used."})
    max_new_tokens: int = field(default=96, metadata={"help": "Longest generated reply."})

    def __post_init__(self) -> None:
        if self.mode not in ("off", "local", "endpoint"):
            raise SettingsError(f"generation mode must be off, local or endpoint, got {self.mode!r}.")
        if self.mode == "endpoint" and not self.endpoint_url.startswith(("http://", "https://")):
            raise SettingsError(f"generation mode 'endpoint' needs an http(s) endpoint_url, got {self.endpoint_url!r}.")
        if self.timeout_s <= 0 or self.max_new_tokens < 1:
            raise SettingsError(f"timeout_s and max_new_tokens must be positive, got {self.timeout_s}, {self.max_new_tokens}.")


@dataclass
class WorkspaceSettings:
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    intent_model: str = field(default="", metadata={"help": "Registry task name of the intent classifier ('' = none)."})
    intent_data: str = field(default="", metadata={"help": "Base training data of the intent model: 'banking77' or a CSV/JSONL with text,label."})
    intent_method: str = field(default="head", metadata={
        "help": "How the core fine-tunes the intent model: head (frozen encoder, minutes on a CPU), full "
                "(all weights; the accurate one), lora or topk."})
    intent_base_model: str = field(default="minilm", metadata={
        "help": "Pretrained model the intent classifier starts from: minilm (fast; one pass per message with "
                "the confidence encoder when head-only) or mpnet (Banking77 0.941 vs MiniLM's 0.933 in "
                "bench/quality.py; ~7x slower per message), or a local model folder."})
    intent_lexical_weight: float = field(default=0.0, metadata={
        "help": "Weight of the TF-IDF intent vote in the label (0 = the classifier alone; intent_blend.py). "
                "Needs intent_data and 'nearest' intent confidence."})
    intent_neighbour_weight: float = field(default=0.0, metadata={
        "help": "Weight of the nearest-training-example intent vote in the label (0 = off)."})
    templates: dict[str, str] = field(default_factory=dict, metadata={"help": "Answer template per intent, with {slot|default} slots."})
    attribution: str = field(default="", metadata={"help": "Credit for the knowledge base, shown in the console."})
    redaction: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "This workspace's PII redaction policy (shared/pii/policy.py), applied to stored messages, "
                "agent replies, exports, retraining data and prompts sent to an endpoint; e.g. "
                "{'emails': false} keeps e-mail addresses but masks cards, IBANs and phones. {} = all masked."})

    def __post_init__(self) -> None:
        from shared.pii.policy import RedactionPolicy

        RedactionPolicy.from_dict(self.redaction)  # refused when created, not when a message arrives
        if not self.intent_base_model.strip():
            raise SettingsError("intent_base_model is empty: use minilm, mpnet or a local model folder.")
        if self.intent_method not in INTENT_METHODS:
            raise SettingsError(f"intent_method must be one of {', '.join(INTENT_METHODS)}, got {self.intent_method!r}.")
        self.blend_weights()  # validates the blend weights

    def blend_weights(self) -> BlendWeights:
        from customer_service.intent_blend import BlendWeights

        return BlendWeights(self.intent_lexical_weight, self.intent_neighbour_weight)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> WorkspaceSettings:
        data = dict(data or {})
        handoff = dict(data.pop("handoff", {}))
        if handoff.get("calibrated") and "intent_confidence" not in handoff:
            handoff["intent_confidence"] = "softmax"  # stored before the setting existed: its threshold is a probability
        try:
            return cls(
                retrieval=RetrievalSettings(**data.pop("retrieval", {})),
                handoff=HandoffSettings(**handoff),
                generation=GenerationSettings(**data.pop("generation", {})),
                **data,
            )
        except TypeError as exc:  # unknown key in a stored or hand-written settings file
            raise SettingsError(f"Unknown workspace setting: {exc}") from exc
