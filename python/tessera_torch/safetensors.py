"""The ``.safetensors`` format, read and written without the ``safetensors`` package (format:
https://github.com/huggingface/safetensors "Format"): 8-byte little-endian header length N, N
bytes of UTF-8 JSON ``{name: {dtype, shape, data_offsets}, "__metadata__": {...}}`` padded with
spaces to 8-byte alignment, then the raw little-endian tensors. The same format as
``runtime/checkpoint/safetensors.ts``."""
import json
import struct

import numpy as np

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8, "BOOL": np.bool_}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


class SafetensorsError(ValueError):
    """A malformed file; the message says what is wrong."""


def encode(tensors, metadata=None):
    """Bytes of a file holding ``tensors`` (name -> NumPy array, in order) and string metadata."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, arr in tensors.items():
        a = np.ascontiguousarray(arr)
        if a.dtype not in _NAMES:
            raise SafetensorsError(f"safetensors: tensor {name!r} has dtype {a.dtype}, which cannot be written")
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    return struct.pack("<Q", len(js)) + js + b"".join(blobs)


def decode(data):
    """``(tensors, metadata)`` of a file's bytes; checks bounds and sizes."""
    if len(data) < 8:
        raise SafetensorsError(f"safetensors: file is {len(data)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise SafetensorsError(f"safetensors: header length {n} runs past the end of the file ({len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"safetensors: header is not valid UTF-8 JSON ({e})") from None
    meta = header.pop("__metadata__", {})
    body = memoryview(data)[8 + n:]
    out = {}
    for name, e in header.items():
        if e["dtype"] not in _DTYPES:
            raise SafetensorsError(f"safetensors: tensor {name!r} has unsupported dtype {e['dtype']}")
        begin, end = e["data_offsets"]
        dt = np.dtype(_DTYPES[e["dtype"]]).newbyteorder("<")
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        if end > len(body) or begin > end or end - begin != count * dt.itemsize:
            raise SafetensorsError(f"safetensors: tensor {name!r} has offsets {e['data_offsets']} that do not fit shape {e['shape']} of {e['dtype']}")
        out[name] = np.frombuffer(body[begin:end], dtype=dt).reshape(e["shape"]).astype(dt.newbyteorder("="))
    return out, meta


def save(path, tensors, metadata=None):
    with open(path, "wb") as f:
        f.write(encode(tensors, metadata))


def load(path):
    with open(path, "rb") as f:
        return decode(f.read())
