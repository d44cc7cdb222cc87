"""Builds small, valid argos-translate packages offline, with outputs known in advance.

The Transformer weights are set by hand, without training: the encoder passes one-hot token and
position vectors through unchanged, decoder step t attends to source position t, and the output
projection maps each word of a toy dictionary to its translation (every other piece is copied).
So "the cat sees the dog." (en->es) is exactly "el gato ve el perro.". A package also ships a
rule-based MiniSBD splitter (an ONNX lookup table: . ! ? 。 ！ ？ end a sentence), so nothing is
ever downloaded.

``layers``/``width``/``ffn`` make a model of realistic size for benchmarks: the extra layers have
zero weights (identity residuals) but cost the same compute as trained ones.
"""

from __future__ import annotations

import io
import json
import random
import tempfile
import zipfile
from pathlib import Path

import numpy as np

NAMES = {"en": "English", "es": "Spanish", "zh": "Chinese"}
WORDS = [  # en, es, zh: one SentencePiece piece each
    ("the", "el", "这"),
    ("a", "un", "一个"),
    ("cat", "gato", "猫"),
    ("dog", "perro", "狗"),
    ("bird", "pájaro", "鸟"),
    ("fish", "pez", "鱼"),
    ("sees", "ve", "看见"),
    ("eats", "come", "吃"),
    ("likes", "ama", "喜欢"),
    ("big", "grande", "大"),
    ("small", "pequeño", "小"),
    ("red", "rojo", "红"),
    ("house", "casa", "房子"),
    ("water", "agua", "水"),
    ("and", "y", "和"),
    ("is", "es", "是"),
    ("in", "en", "在"),
    ("good", "bueno", "好"),
    ("bad", "malo", "坏"),
    ("man", "hombre", "男人"),
    ("woman", "mujer", "女人"),
    ("child", "niño", "孩子"),
    ("book", "libro", "书"),
    ("reads", "lee", "读"),
    ("sleeps", "duerme", "睡觉"),
    ("night", "noche", "晚上"),
]
COLUMN = {"en": 0, "es": 1, "zh": 2}
SENTENCE_END = ".!?。！？"


def dictionary(src: str, tgt: str) -> dict[str, str]:
    return {row[COLUMN[src]]: row[COLUMN[tgt]] for row in WORDS}


def corpus(lang: str, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = [row[COLUMN[lang]] for row in WORDS]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(3, 9))) + rng.choice(".!?") for _ in range(n)]


def _sentencepiece(sentences: list[str]) -> bytes:
    import sentencepiece as spm

    out = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=out,
        vocab_size=200,
        model_type="unigram",
        hard_vocab_limit=False,
        character_coverage=1.0,
        normalization_rule_name="identity",
        num_threads=1,
        minloglevel=2,
    )
    return out.getvalue()


def _ct2_model(
    vocab: list[str],
    mapping: dict[int, int],
    out_dir: Path,
    *,
    positions: int,
    layers: int,
    width: int | None,
    ffn: int,
) -> None:
    import ctranslate2

    V, P = len(vocab), positions
    d = max(width or 0, V + P)
    f32 = np.float32

    def zeros(*shape):
        return np.zeros(shape, dtype=f32)

    # Larger models get tiny random weights in their idle layers: all-zero matrices hit slow paths once
    # quantized to int8, and a real model has no zero matrices. They are far too small to change the output.
    rng = np.random.default_rng(0)

    def idle_weights(*shape):
        return (rng.standard_normal(shape) * 1e-4).astype(f32) if layers > 1 else zeros(*shape)

    def norm(ln):
        ln.gamma, ln.beta = np.ones(d, dtype=f32), zeros(d)

    def idle(layer, attention_names):
        for name in attention_names:
            att = getattr(layer, name)
            norm(att.layer_norm)
            att.linear[0].weight, att.linear[0].bias = idle_weights(3 * d, d), zeros(3 * d)
            att.linear[1].weight, att.linear[1].bias = idle_weights(d, d), zeros(d)
        norm(layer.ffn.layer_norm)
        layer.ffn.linear_0.weight, layer.ffn.linear_0.bias = idle_weights(ffn, d), zeros(ffn)
        layer.ffn.linear_1.weight, layer.ffn.linear_1.bias = idle_weights(d, ffn), zeros(d)

    spec = ctranslate2.specs.TransformerSpec.from_config(num_layers=layers, num_heads=1)
    position = zeros(P, d)
    position[np.arange(P), V + np.arange(P)] = 1.0
    one_hot = zeros(V, d)
    one_hot[np.arange(V), np.arange(V)] = 1.0

    encoder = spec.encoder
    encoder.embeddings[0].weight = one_hot
    encoder.scale_embeddings = False
    encoder.position_encodings.encodings = position
    norm(encoder.layer_norm)
    for layer in encoder.layer:
        idle(layer, ["self_attention"])

    decoder = spec.decoder
    decoder.embeddings.weight = zeros(V, d)
    decoder.scale_embeddings = False
    decoder.position_encodings.encodings = position
    norm(decoder.layer_norm)
    for i, layer in enumerate(decoder.layer):
        idle(layer, ["self_attention"])
        cross = layer.attention
        norm(cross.layer_norm)
        wq, wk, wv, wo = (idle_weights(d, d) for _ in range(4))
        if i == 0:  # step t looks at source position t and copies its token
            pos = V + np.arange(P)
            wq[pos, pos], wk[pos, pos] = 4.0, 1.0
            wv[np.arange(V), np.arange(V)] = wo[np.arange(V), np.arange(V)] = 1.0
        cross.linear[0].weight, cross.linear[0].bias = wq, zeros(d)
        cross.linear[1].weight, cross.linear[1].bias = np.concatenate([wk, wv]), zeros(2 * d)
        cross.linear[2].weight, cross.linear[2].bias = wo, zeros(d)

    projection, bias = zeros(V, d), np.full(V, -30.0, dtype=f32)
    for i in range(V):
        j = mapping.get(i, i)
        projection[j, i], bias[j] = 1.0, 0.0
    decoder.projection.weight, decoder.projection.bias = projection, bias
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.config.add_source_eos = True  # the copied </s> ends the output
    spec.validate()
    spec.optimize(quantization=None)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(out_dir))


def _ct2_model_shaped(
    vocab: list[str],
    mapping: dict[int, int],
    out_dir: Path,
    *,
    positions: int,
    layers: int,
    width: int,
    ffn: int,
    heads: int,
    vocab_size: int,
) -> None:
    """The same word-by-word model in a realistic shape (e.g. 6 layers, 512 wide, 8 heads, 32,000 pieces).

    Token and position no longer fit one-hot side by side: the real pieces are one-hot in the first
    ``width - 128`` dimensions, positions are random +-1 codes in the last 128, and every head's
    query/key compares position codes, so decoder step t still reads source position t. The vocabulary
    is padded with pieces the tokenizer never emits (zero embeddings, output bias -30), so the output
    layer costs what a 32,000-piece one costs. Weights are stored as int8, as argos packages are."""
    import ctranslate2

    code_dims = 128
    V, P, d = len(vocab), positions, width
    token_dims = d - code_dims
    assert V <= token_dims and d % heads == 0 and vocab_size >= V
    f32 = np.float32
    rng = np.random.default_rng(0)

    def zeros(*shape):
        return np.zeros(shape, dtype=f32)

    def idle_weights(*shape):
        return (rng.standard_normal(shape) * 1e-4).astype(f32)

    def norm(ln):
        ln.gamma, ln.beta = np.ones(d, dtype=f32), zeros(d)

    def idle(layer, attention_names):
        for name in attention_names:
            att = getattr(layer, name)
            norm(att.layer_norm)
            att.linear[0].weight, att.linear[0].bias = idle_weights(3 * d, d), zeros(3 * d)
            att.linear[1].weight, att.linear[1].bias = idle_weights(d, d), zeros(d)
        norm(layer.ffn.layer_norm)
        layer.ffn.linear_0.weight, layer.ffn.linear_0.bias = idle_weights(ffn, d), zeros(ffn)
        layer.ffn.linear_1.weight, layer.ffn.linear_1.bias = idle_weights(d, ffn), zeros(d)

    spec = ctranslate2.specs.TransformerSpec.from_config(num_layers=layers, num_heads=heads)
    codes = rng.choice([-1.0, 1.0], size=(P, code_dims)).astype(f32)
    position = zeros(P, d)
    position[:, token_dims:] = codes
    embedding = zeros(vocab_size, d)
    embedding[np.arange(V), np.arange(V)] = 1.0
    pieces = vocab + [f"<pad{i}>" for i in range(vocab_size - V)]

    encoder = spec.encoder
    encoder.embeddings[0].weight = embedding
    encoder.scale_embeddings = False
    encoder.position_encodings.encodings = position
    norm(encoder.layer_norm)
    for layer in encoder.layer:
        idle(layer, ["self_attention"])

    decoder = spec.decoder
    decoder.embeddings.weight = zeros(vocab_size, d)
    decoder.scale_embeddings = False
    decoder.position_encodings.encodings = position
    norm(decoder.layer_norm)
    head = d // heads
    for i, layer in enumerate(decoder.layer):
        idle(layer, ["self_attention"])
        cross = layer.attention
        norm(cross.layer_norm)
        wq, wk, wv, wo = (idle_weights(d, d) for _ in range(4))
        if i == 0:
            for h in range(heads):  # each head compares (a slice of) the position codes
                rows = np.arange(h * head, (h + 1) * head)
                cols = token_dims + (np.arange(head) + h * head) % code_dims
                wq[rows, cols], wk[rows, cols] = 2.0, 1.0
            wv[np.arange(token_dims), np.arange(token_dims)] = 1.0  # and together they carry the token dims
            wo[np.arange(token_dims), np.arange(token_dims)] = 1.0
        cross.linear[0].weight, cross.linear[0].bias = wq, zeros(d)
        cross.linear[1].weight, cross.linear[1].bias = np.concatenate([wk, wv]), zeros(2 * d)
        cross.linear[2].weight, cross.linear[2].bias = wo, zeros(d)

    projection, bias = idle_weights(vocab_size, d), np.full(vocab_size, -30.0, dtype=f32)
    for i in range(V):
        j = mapping.get(i, i)
        projection[j, i], bias[j] = 4.0, 0.0
    decoder.projection.weight, decoder.projection.bias = projection, bias
    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)
    spec.config.add_source_eos = True
    spec.validate()
    spec.optimize(quantization="int8")
    out_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(out_dir))


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _tensor_info(name: str, elem_type: int, dims: list) -> bytes:
    shape = b"".join(_field(1, _field(2, d) if isinstance(d, str) else _field(1, d)) for d in dims)
    return _field(1, name) + _field(2, _field(1, _field(1, elem_type) + _field(2, shape)))


def _minisbd_onnx(chars: str) -> bytes:
    """An ONNX protobuf written field by field: Gather(table, units) -> logits; class 2 ends a sentence."""
    units = ["<PAD>", "<UNK>"] + sorted(set(chars) | set(SENTENCE_END) | {" "})
    table = np.zeros((len(units), 5), dtype=np.float32)
    for i, unit in enumerate(units):
        table[i, 2 if unit in SENTENCE_END else (0 if unit == "<PAD>" else 1)] = 10.0
    tensor = (
        b"".join(_field(1, s) for s in table.shape) + _field(2, 1) + _field(8, "table") + _field(9, table.tobytes())
    )
    node = _field(1, "table") + _field(1, "units") + _field(2, "logits") + _field(3, "lookup") + _field(4, "Gather")
    graph = (
        _field(1, node)
        + _field(2, "rule_sbd")
        + _field(5, tensor)
        + _field(11, _tensor_info("units", 7, ["batch", "time"]))
        + _field(11, _tensor_info("features", 1, ["batch", "time", "feats"]))
        + _field(12, _tensor_info("logits", 1, ["batch", "time", 5]))
    )
    vocab = {
        "lang": "xx",
        "idx": 0,
        "cutoff": 0,
        "lower": False,
        "_id2unit": units,
        "_unit2id": {u: i for i, u in enumerate(units)},
    }
    meta = {
        "lang_code": "xx",
        "vocab": json.dumps(vocab),
        "config": json.dumps({"feat_funcs": ["space_before"], "max_seqlen": 1000}),
    }
    return (
        _field(1, 8)
        + _field(2, "odr-tests")
        + _field(7, graph)
        + _field(8, _field(1, "") + _field(2, 13))
        + b"".join(_field(14, _field(1, k) + _field(2, v)) for k, v in meta.items())
    )


def build_package(
    src: str,
    tgt: str,
    out_dir,
    *,
    version: str = "1.0",
    positions: int = 256,
    layers: int = 1,
    width: int | None = None,
    ffn: int = 4,
    renamed: dict[str, str] | None = None,
    name: str | None = None,
    heads: int = 1,
    vocab_size: int | None = None,
) -> Path:
    """Write translate-<src>_<tgt>-<version>.argosmodel into out_dir and return its path.

    ``renamed`` changes some dictionary entries (source word -> another target word of the lexicon):
    a different build of the same pair and version. ``name`` is the archive's file name (default:
    the package folder's name). ``heads`` or ``vocab_size`` build the realistic shape (see _ct2_model_shaped)."""
    import sentencepiece as spm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    file_name, folder = name, f"translate-{src}_{tgt}-{version.replace('.', '_')}"
    sentences = corpus(src, 300, 1) + corpus(tgt, 300, 2)
    sp_model = _sentencepiece(sentences)
    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    mapping = {}
    for s_word, t_word in (dictionary(src, tgt) | (renamed or {})).items():
        (s_id,), (t_id,) = sp.encode(s_word), sp.encode(t_word)
        mapping[s_id] = t_id
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / folder
        root.mkdir()
        (root / "sentencepiece.model").write_bytes(sp_model)
        if heads > 1 or vocab_size:
            _ct2_model_shaped(
                vocab,
                mapping,
                root / "model",
                positions=positions,
                layers=layers,
                width=width or 512,
                ffn=ffn,
                heads=heads,
                vocab_size=vocab_size or len(vocab),
            )
        else:
            _ct2_model(vocab, mapping, root / "model", positions=positions, layers=layers, width=width, ffn=ffn)
        (root / "minisbd").mkdir()
        (root / "minisbd" / "sbd.onnx").write_bytes(_minisbd_onnx("".join(sentences)))
        (root / "metadata.json").write_text(
            json.dumps(
                {
                    "package_version": version,
                    "argos_version": "1.11.0",
                    "type": "translate",
                    "links": [],
                    "from_code": src,
                    "from_name": NAMES[src],
                    "to_code": tgt,
                    "to_name": NAMES[tgt],
                }
            )
        )
        (root / "README.md").write_text(f"Synthetic {src}->{tgt} test package.\n")
        path = out_dir / f"{file_name or folder}.argosmodel"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in sorted(root.rglob("*")):
                archive.write(item, item.relative_to(Path(tmp)).as_posix())
    return path


def repack(archive: Path, out: Path, *, folder: str | None = None, files: dict[str, bytes] | None = None) -> Path:
    """A copy of a package archive with its folder renamed and some files replaced (bad packages for tests)."""
    files = files or {}
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            top, _, rest = info.filename.partition("/")
            data = files.get(rest, source.read(info))
            target.writestr(f"{folder or top}/{rest}", data)
    return out
