#!/usr/bin/python3
"""Makes the image fixtures and the golden references for ImageDecoderTest and ClipPreprocessorTest.

What it makes (all paths relative to the repository root):

  src/test/resources/images/*            real photos from scikit-image's sample data, cropped/downscaled/re-encoded
                                          to exercise the resize and centre-crop geometry (see ATTRIBUTION.md)
  src/test/resources/images/edge/*       decoder edge cases made from those photos: progressive, grey, CMYK and
                                          YCCK JPEG; EXIF orientations 1-8 (and 6 in PNG and WebP); palette
                                          (8- and 4-bit), 1-bit, alpha, tRNS, grey and 16-bit PNG; animated GIF
                                          and GIFs whose first frame is smaller than the canvas; BMP; lossy and
                                          lossless WebP
  src/test/resources/images/invalid/*    inputs the decoder must refuse: empty, truncated, corrupt, text, PDF,
                                          TIFF, decompression bombs
  src/test/resources/golden/decoded/*.png    for every edge case: the full-size RGB image our decoder must produce
  src/test/resources/golden/preprocess/*.png for every valid image: the 224x224 uint8 RGB image that CLIP's
                                          torchvision transform hands to ToTensor()
  src/test/resources/golden/preprocess/goldens.json   per image: source, sizes, crop offsets, and the per-channel
                                          mean/std of the final normalised tensor; the list of decoded references;
                                          and tiny synthetic resize cases (Pillow's exact bicubic output)

How the reference is computed: open with Pillow, normalise to RGB exactly as io.multimodalrag.image.ImageDecoder
defines it (EXIF orientation via ImageOps.exif_transpose; palette -> RGB(A); alpha composited over white with
round((c*a + 255*(255-a)) / 255); 16-bit samples -> round(v / 257); GIF first frame; CMYK -> RGB with Pillow's own
conversion), then apply CLIP's `_transform` from openai/CLIP: Resize(224, BICUBIC), CenterCrop(224),
convert("RGB"), ToTensor(), Normalize(mean, std).

How to run (from anywhere; it is deterministic and overwrites its outputs):

  /usr/bin/python3 tools/make_preprocess_goldens.py

Needs Debian 12 packages: python3-pil (9.4), python3-torch (1.13), python3-torchvision (0.14), python3-numpy,
python3-skimage (the source photos, under /usr/lib/python3/dist-packages/skimage/data) and imagemagick
(/usr/bin/convert, the only tool at hand that writes a YCCK JPEG: `-define jpeg:colorspace=5`), webp (cwebp, for
loop-filter variants Pillow cannot ask for) and vpx-tools (vpxenc: libvpx writes loop-filter deltas and several
token partitions, which libwebp's encoder never does).
Use /usr/bin/python3: a pyenv python on PATH lacks these modules.
"""

import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image, ImageOps
from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize, ToTensor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"
IMAGES = os.path.join(ROOT, "src/test/resources/images")
EDGE = os.path.join(IMAGES, "edge")
INVALID = os.path.join(IMAGES, "invalid")
GOLDEN_DECODED = os.path.join(ROOT, "src/test/resources/golden/decoded")
GOLDEN_PREPROCESS = os.path.join(ROOT, "src/test/resources/golden/preprocess")

SIZE = 224
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)

# The exact pipeline of openai/CLIP's clip.py `_transform(n_px)`.
CLIP_TRANSFORM_BEFORE_TENSOR = Compose([Resize(SIZE, interpolation=InterpolationMode.BICUBIC), CenterCrop(SIZE)])
CLIP_TRANSFORM_TENSOR = Compose([lambda image: image.convert("RGB"), ToTensor(), Normalize(MEAN, STD)])


def check_versions():
    # The Java port reproduces these exact versions; other versions may round differently.
    expected = {"Pillow": (PIL.__version__, "9.4"), "torch": (torch.__version__, "1.13"),
                "torchvision": (torchvision.__version__, "0.14")}
    for name, (actual, wanted) in expected.items():
        if not actual.startswith(wanted):
            sys.exit(f"{name} {actual} found but {wanted}.x is required; run with Debian 12's /usr/bin/python3")
    if not os.path.exists("/usr/bin/convert"):
        sys.exit("ImageMagick is missing; install it with: apt-get install imagemagick")
    for tool, package in (("/usr/bin/cwebp", "webp"), ("/usr/bin/vpxenc", "vpx-tools")):
        if not os.path.exists(tool):
            sys.exit(f"{tool} is missing; install it with: apt-get install {package}")


def skimage(name):
    return Image.open(os.path.join(SKIMAGE_DATA, name))


def fresh_dir(path):
    """Empties `path` of generated files; hand-written Markdown (ATTRIBUTION.md) stays."""
    os.makedirs(path, exist_ok=True)
    for entry in os.listdir(path):
        full = os.path.join(path, entry)
        if os.path.isfile(full) and not entry.endswith(".md"):
            os.remove(full)


# ---------------------------------------------------------------------------------------------------------------
# Reference decoding: Pillow, normalised the way ImageDecoder defines a clean RGB image.

def composite_over_white(rgba):
    """uint8 (H, W, 4) -> uint8 (H, W, 3); integer rounding identical to ImageDecoder's."""
    rgba = rgba.astype(np.int64)
    alpha = rgba[..., 3:4]
    blended = rgba[..., :3] * alpha + 255 * (255 - alpha)
    return ((blended + 127) // 255).astype(np.uint8)


def sixteen_to_eight(values):
    """round(v / 257) without floating point: 257 is odd, so there are no ties."""
    return ((values.astype(np.int64) + 128) // 257).astype(np.uint8)


def reference_rgb(path, sixteen_bit_rgb=None):
    """The clean RGB image (PIL, mode RGB) our decoder must produce from the file at `path`."""
    image = Image.open(path)
    image.seek(0)  # GIF: first frame only
    image = ImageOps.exif_transpose(image)
    if sixteen_bit_rgb is not None:
        # Pillow reads 16-bit RGB PNGs by keeping only the high byte; our decoder rounds, so the reference is the
        # array the file was written from (checked against Pillow's high bytes when the file is made).
        return Image.fromarray(sixteen_to_eight(sixteen_bit_rgb), "RGB")
    if image.mode in ("I;16", "I;16B", "I"):
        grey = sixteen_to_eight(np.asarray(image))
        return Image.fromarray(np.stack([grey] * 3, axis=-1), "RGB")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if has_alpha:
        return Image.fromarray(composite_over_white(np.asarray(image.convert("RGBA"))), "RGB")
    return image.convert("RGB")  # RGB, L (replicated), P, 1 and CMYK (Pillow's cmyk2rgb)


# ---------------------------------------------------------------------------------------------------------------
# Writers for things Pillow cannot write.

def write_y4m(path, rgb):
    """One 4:2:0 frame (BT.601 video range) for vpxenc; the exact conversion does not matter, only the stream."""
    a = np.asarray(rgb).astype(np.float64)
    h, w = a.shape[:2]
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112 * b) / 255
    v = 128 + (112 * r - 93.786 * g - 18.214 * b) / 255
    half = lambda plane: plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\nFRAME\n".encode())
        for plane in (y, half(u), half(v)):
            out.write(np.clip(np.round(plane), 0, 255).astype(np.uint8).tobytes())


def write_libvpx_webp(path, rgb, *vpxenc_args):
    """A lossy WebP whose VP8 key frame comes from libvpx (vpxenc), wrapped in a plain RIFF/WEBP container."""
    with tempfile.TemporaryDirectory() as scratch:
        y4m = os.path.join(scratch, "in.y4m")
        ivf = os.path.join(scratch, "out.ivf")
        write_y4m(y4m, rgb)
        subprocess.run(["/usr/bin/vpxenc", "--quiet", "--codec=vp8", "--limit=1", "--ivf", "-o", ivf, *vpxenc_args,
                        y4m], check=True, stderr=subprocess.DEVNULL)
        with open(ivf, "rb") as stream:
            data = stream.read()
    size = struct.unpack("<I", data[32:36])[0]  # IVF: 32-byte file header, 12-byte frame header
    frame = data[44:44 + size]
    chunk = b"VP8 " + struct.pack("<I", len(frame)) + frame + (b"\0" if len(frame) & 1 else b"")
    with open(path, "wb") as out:
        out.write(b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk)

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png_16bit(path, array):
    """Writes a 16-bit grey (H, W) or RGB (H, W, 3) uint16 array as a non-interlaced PNG, filter type 0."""
    height, width = array.shape[:2]
    colour_type = 0 if array.ndim == 2 else 2
    rows = array.astype(">u2").reshape(height, -1).tobytes()
    row_bytes = len(rows) // height
    raw = b"".join(b"\x00" + rows[y * row_bytes:(y + 1) * row_bytes] for y in range(height))
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)))
        out.write(png_chunk(b"IDAT", zlib.compress(raw, 9)))
        out.write(png_chunk(b"IEND", b""))


def gif_lzw_image_data(indices):
    """The simplest valid GIF LZW stream for 8-bit indices: a clear code before every pixel keeps codes 9 bits
    wide. Large, but Pillow cannot write a first frame that is smaller than the canvas."""
    clear, end = 256, 257
    codes = [code for index in indices for code in (clear, int(index))] + [end]
    accumulator, bit_count, data = 0, 0, bytearray()
    for code in codes:
        accumulator |= code << bit_count
        bit_count += 9
        while bit_count >= 8:
            data.append(accumulator & 0xFF)
            accumulator >>= 8
            bit_count -= 8
    if bit_count:
        data.append(accumulator & 0xFF)
    blocks = bytearray([8])  # minimum code size
    for start in range(0, len(data), 255):
        chunk = data[start:start + 255]
        blocks += bytes([len(chunk)]) + chunk
    return bytes(blocks + b"\x00")


def write_gif_with_offset_frame(path, frame, canvas_size, offset, transparent_index=None):
    """A one-frame GIF whose frame (a P image) covers only part of the logical screen."""
    palette = bytes(frame.getpalette()[:768]).ljust(768, b"\x00")
    screen = struct.pack("<HHBBB", canvas_size[0], canvas_size[1], 0xF7, 0, 0)  # 256-colour global table
    control = b""
    if transparent_index is not None:
        control = b"\x21\xf9\x04" + bytes([1, 0, 0, transparent_index, 0])
    descriptor = b"\x2c" + struct.pack("<HHHHB", offset[0], offset[1], frame.size[0], frame.size[1], 0)
    with open(path, "wb") as out:
        out.write(b"GIF89a" + screen + palette + control + descriptor
                  + gif_lzw_image_data(np.asarray(frame).reshape(-1)) + b"\x3b")


def png_chunks(data):
    """[(offset, kind, payload)] of a PNG file."""
    chunks, position = [], 8
    while position < len(data):
        length = struct.unpack(">I", data[position:position + 4])[0]
        chunks.append((position, data[position + 4:position + 8], data[position + 8:position + 8 + length]))
        position += 12 + length
    return chunks


# ---------------------------------------------------------------------------------------------------------------
# Source photos.

# Resized width, height and crop left, top that the photos were chosen to produce.
PHOTO_GEOMETRY = {
    "astronaut.jpg": [224, 224, 0, 0],
    "chelsea.png": [336, 224, 56, 0],
    "hubble_panorama.jpg": [896, 224, 336, 0],
    "rocket_tall.png": [224, 473, 0, 124],
    "chelsea_small.png": [336, 224, 56, 0],
    "coffee_225x224.png": [225, 224, 0, 0],
    "retina_463x451.png": [229, 224, 2, 0],
}


def save_photos():
    """Returns {file name: purpose}. Geometry of each is asserted so the goldens exercise what they claim to."""
    fresh_dir(IMAGES)
    photos = {}

    astronaut = skimage("astronaut.png").convert("RGB")
    astronaut.save(os.path.join(IMAGES, "astronaut.jpg"), quality=90)
    photos["astronaut.jpg"] = "square 512x512 baseline JPEG, downscaled by 0.4375"

    # As shipped: PNG with an sRGB iCCP chunk, 451x300.
    shutil.copyfile(os.path.join(SKIMAGE_DATA, "chelsea.png"), os.path.join(IMAGES, "chelsea.png"))
    photos["chelsea.png"] = "landscape 3:2 PNG with iCCP; resized 336x224, crop left 56"

    skimage("coffee.png").convert("RGB").save(os.path.join(IMAGES, "coffee.jpg"), quality=90)
    photos["coffee.jpg"] = "landscape 600x400 JPEG"

    # As shipped: JPEG with an embedded Adobe RGB (1998) ICC profile; CLIP (Pillow) ignores the profile.
    shutil.copyfile(os.path.join(SKIMAGE_DATA, "rocket.jpg"), os.path.join(IMAGES, "rocket.jpg"))
    photos["rocket.jpg"] = "640x427 JPEG with an Adobe RGB ICC profile (ignored, as Pillow does)"

    hubble = skimage("hubble_deep_field.jpg")
    panorama = hubble.crop((0, 300, 1000, 550))
    panorama.save(os.path.join(IMAGES, "hubble_panorama.jpg"), quality=90, icc_profile=hubble.info["icc_profile"])
    photos["hubble_panorama.jpg"] = "4:1 panorama 1000x250; long side 896, crop left 336"

    # Tall crop around the rocket, 202x427: resized 224x473, crop top round(124.5) = 124 by banker's rounding
    # (half-up would give 125).
    rocket = skimage("rocket.jpg").convert("RGB")
    rocket.crop((300, 0, 502, 427)).save(os.path.join(IMAGES, "rocket_tall.png"))
    photos["rocket_tall.png"] = "tall 202x427 PNG: resized 224x473, banker's rounding crops at y=124"

    small = skimage("chelsea.png").convert("RGB").resize((150, 100), Image.Resampling.LANCZOS)
    small.save(os.path.join(IMAGES, "chelsea_small.png"))
    photos["chelsea_small.png"] = "150x100 PNG, smaller than 224: upscaled to 336x224"

    # 225x224: no resize (shortest side already 224), crop offset round(0.5) = 0 by banker's rounding (not 1).
    coffee = skimage("coffee.png").convert("RGB").resize((336, 224), Image.Resampling.LANCZOS)
    coffee.crop((60, 0, 285, 224)).save(os.path.join(IMAGES, "coffee_225x224.png"))
    photos["coffee_225x224.png"] = "225x224 PNG: no resize, banker's rounding crops at x=0"

    # Odd size 463x451: resized 229x224, crop offset round(2.5) = 2 by banker's rounding (half-up would give 3).
    retina = skimage("retina.jpg").convert("RGB").resize((463 * 3, 451 * 3), Image.Resampling.LANCZOS)
    retina.crop((230, 230, 230 + 463, 230 + 451)).save(os.path.join(IMAGES, "retina_463x451.png"))
    photos["retina_463x451.png"] = "odd 463x451 PNG: resized 229x224, banker's rounding crops at x=2"

    return photos


# ---------------------------------------------------------------------------------------------------------------
# Edge cases for the decoder, made from the photos.

ORIENTATION_INVERSE = {
    # What to do to an upright image so that ImageOps.exif_transpose with this orientation makes it upright again.
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def cmyk_with_black(rgb):
    """RGB -> CMYK with full grey-component replacement, so the K channel carries real data (Pillow's own
    RGB->CMYK conversion leaves K at 0 and would not exercise the K arithmetic)."""
    a = np.asarray(rgb).astype(np.float64) / 255.0
    k = 1.0 - a.max(axis=-1)
    denominator = np.where(k < 1.0, 1.0 - k, 1.0)
    cmy = (1.0 - a - k[..., None]) / denominator[..., None]
    cmyk = np.concatenate([cmy, k[..., None]], axis=-1)
    return Image.fromarray(np.round(cmyk * 255.0).astype(np.uint8), "CMYK")


def save_edge_cases():
    """Returns {file name: extra reference arguments}."""
    fresh_dir(EDGE)
    edge = {}

    def path(name):
        return os.path.join(EDGE, name)

    coffee = skimage("coffee.png").convert("RGB").resize((180, 120), Image.Resampling.LANCZOS)
    chelsea = skimage("chelsea.png").convert("RGB").resize((150, 100), Image.Resampling.LANCZOS)
    astronaut = skimage("astronaut.png").convert("RGB").resize((128, 128), Image.Resampling.LANCZOS)

    coffee.save(path("progressive.jpg"), quality=90, progressive=True)
    edge["progressive.jpg"] = {}

    skimage("camera.png").resize((128, 128), Image.Resampling.LANCZOS).save(path("gray.jpg"), quality=90)
    edge["gray.jpg"] = {}

    cmyk = cmyk_with_black(chelsea)
    cmyk.save(path("cmyk.jpg"), quality=92)  # Pillow writes Adobe-inverted CMYK with an APP14 marker, transform 0
    edge["cmyk.jpg"] = {}

    with tempfile.TemporaryDirectory() as scratch:
        tiff = os.path.join(scratch, "cmyk.tif")
        cmyk.save(tiff)
        # JCS_YCCK = 5 in libjpeg's J_COLOR_SPACE; -strip keeps the file free of ImageMagick's own metadata.
        subprocess.run(["/usr/bin/convert", tiff, "-strip", "-define", "jpeg:colorspace=5", "-quality", "92",
                        path("ycck.jpg")], check=True)
    ycck = Image.open(path("ycck.jpg"))
    assert ycck.mode == "CMYK" and ycck.info.get("adobe_transform") == 2, "ImageMagick did not write YCCK"
    edge["ycck.jpg"] = {}

    # EXIF orientation: the stored pixels are the upright picture transformed by the inverse of the orientation,
    # so every file shows the same upright picture once the orientation is applied.
    upright = skimage("chelsea.png").convert("RGB").crop((100, 20, 340, 180)).resize((96, 64), Image.Resampling.LANCZOS)
    for orientation, inverse in ORIENTATION_INVERSE.items():
        stored = upright if inverse is None else upright.transpose(inverse)
        exif = Image.Exif()
        exif[0x0112] = orientation
        stored.save(path(f"orientation_{orientation}.jpg"), quality=95, exif=exif.tobytes())
        edge[f"orientation_{orientation}.jpg"] = {}
        if orientation == 6:
            # EXIF outside JPEG: PNG's eXIf chunk and WebP's EXIF chunk, both honoured by Pillow.
            stored.save(path("orientation_6.png"), exif=exif.tobytes())
            edge["orientation_6.png"] = {}
            stored.save(path("orientation_6.webp"), lossless=True, quality=100, method=4, exif=exif.tobytes())
            edge["orientation_6.webp"] = {}

    chelsea.quantize(64, method=Image.Quantize.MEDIANCUT).save(path("palette.png"))
    edge["palette.png"] = {}

    # Low bit depths: a 16-colour palette is written with 4 bits per pixel, mode "1" with 1 bit.
    chelsea.quantize(16, method=Image.Quantize.MEDIANCUT).save(path("palette_4bit.png"))
    edge["palette_4bit.png"] = {}
    chelsea.convert("L").point(lambda v: 255 if v > 110 else 0).convert("1").save(path("bilevel.png"))
    edge["bilevel.png"] = {}

    # Palette with a tRNS table: index 0 fully transparent (a rectangle), index 1 half transparent (another one).
    palette_image = coffee.quantize(62, method=Image.Quantize.MEDIANCUT)
    indices = np.asarray(palette_image).astype(np.uint8) + 2
    indices[10:40, 10:60] = 0
    indices[60:90, 100:160] = 1
    palette = [255, 0, 0, 0, 0, 255] + palette_image.getpalette()[:62 * 3]
    with_transparency = Image.fromarray(indices, "P")
    with_transparency.putpalette(palette)
    with_transparency.save(path("palette_trns.png"), transparency=bytes([0, 128] + [255] * 62))
    edge["palette_trns.png"] = {}

    # RGBA with a horizontal alpha ramp and a fully transparent block whose colour is not white.
    rgba = np.asarray(astronaut.convert("RGBA")).copy()
    rgba[..., 3] = np.linspace(0, 255, rgba.shape[1]).round().astype(np.uint8)[None, :]
    rgba[0:32, 64:128, :3] = (10, 200, 30)
    rgba[0:32, 64:128, 3] = 0
    Image.fromarray(rgba, "RGBA").save(path("rgba.png"))
    edge["rgba.png"] = {}

    grey = skimage("camera.png").resize((128, 128), Image.Resampling.LANCZOS)
    grey.save(path("gray.png"))
    edge["gray.png"] = {}

    # tRNS on non-palette images: one colour (or grey level) is fully transparent.
    keyed = np.asarray(coffee).copy()
    keyed[20:50, 30:90] = (1, 2, 3)
    Image.fromarray(keyed, "RGB").save(path("rgb_trns.png"), transparency=(1, 2, 3))
    edge["rgb_trns.png"] = {}
    grey_keyed = np.asarray(grey).copy()
    grey_keyed[40:80, 40:80] = 77
    Image.fromarray(grey_keyed, "L").save(path("gray_trns.png"), transparency=77)
    edge["gray_trns.png"] = {}

    grey_alpha = np.stack([np.asarray(grey), np.asarray(grey)[::-1, :]], axis=-1)  # alpha = upside-down camera
    Image.fromarray(grey_alpha, "LA").save(path("gray_alpha.png"))
    edge["gray_alpha.png"] = {}

    # 16-bit samples that are not multiples of 257, so rounding (v/257) and truncation (v>>8) disagree. The first
    # two samples are probes the Java test checks: 33024/257 = 128.498 -> 128 (high byte 129); 33025 -> 129.
    rng = np.random.default_rng(20240611)
    grey16 = np.asarray(grey).astype(np.int64) * 257 + rng.integers(-128, 129, (128, 128))
    grey16 = np.clip(grey16, 0, 65535).astype(np.uint16)
    grey16[0, 0], grey16[0, 1] = 33024, 33025
    write_png_16bit(path("gray16.png"), grey16)
    assert np.array_equal(np.asarray(Image.open(path("gray16.png"))), grey16)
    edge["gray16.png"] = {}

    rgb16 = np.asarray(chelsea).astype(np.int64) * 257 + rng.integers(-128, 129, (100, 150, 3))
    rgb16 = np.clip(rgb16, 0, 65535).astype(np.uint16)
    rgb16[0, 0], rgb16[0, 1] = (33024, 33025, 65535), (128, 129, 0)
    write_png_16bit(path("rgb16.png"), rgb16)
    assert np.array_equal(np.asarray(Image.open(path("rgb16.png"))), (rgb16 >> 8).astype(np.uint8))
    edge["rgb16.png"] = {"sixteen_bit_rgb": rgb16}

    # Animated GIF: frame 1 is the cat with a transparent rectangle, frame 2 a different photo.
    first = chelsea.quantize(255, method=Image.Quantize.MEDIANCUT)
    first_indices = np.asarray(first).copy()
    first_indices[5:25, 5:45] = 255  # palette entry 255 is unused by the quantised picture: the transparent one
    first_palette = first.getpalette()[:255 * 3] + [0, 255, 0]
    first = Image.fromarray(first_indices, "P")
    first.putpalette(first_palette)
    second = coffee.crop((0, 0, 150, 100)).quantize(255, method=Image.Quantize.MEDIANCUT)
    first.save(path("animated.gif"), save_all=True, append_images=[second], duration=200, loop=0,
               transparency=255, disposal=1, optimize=False)
    gif = Image.open(path("animated.gif"))
    assert gif.n_frames == 2
    edge["animated.gif"] = {}

    # First frames smaller than the logical screen: Pillow shows the whole screen, filled with palette entry 0
    # (here a saturated red) or, when the frame has a transparent index, with that (white once composited).
    small_frame = chelsea.resize((60, 40), Image.Resampling.LANCZOS).quantize(200, method=Image.Quantize.MEDIANCUT)
    small_palette = [230, 20, 20] + small_frame.getpalette()[:200 * 3] + [0, 255, 0] * 55
    shifted = Image.fromarray((np.asarray(small_frame).astype(np.uint8) + 1), "P")
    shifted.putpalette(small_palette)
    write_gif_with_offset_frame(path("gif_offset.gif"), shifted, (100, 70), (25, 15))
    edge["gif_offset.gif"] = {}
    with_hole = np.asarray(shifted).copy()
    with_hole[10:20, 20:40] = 255
    with_hole = Image.fromarray(with_hole, "P")
    with_hole.putpalette(small_palette)
    write_gif_with_offset_frame(path("gif_offset_transparent.gif"), with_hole, (100, 70), (25, 15), transparent_index=255)
    assert Image.open(path("gif_offset_transparent.gif")).size == (100, 70)
    edge["gif_offset_transparent.gif"] = {}

    coffee.save(path("bmp24.bmp"))
    edge["bmp24.bmp"] = {}

    coffee.save(path("lossy.webp"), quality=85, method=4)
    edge["lossy.webp"] = {}

    # More lossy WebP: odd sizes (chroma planes rounded up, an unpaired last row and column), alpha (VP8X + ALPH)
    # and saturated colours (samples clipped at 0 and 255). At quality 100 libwebp's encoder turns the loop
    # filter off; below it the loop filter is on. Both kinds are kept: the service decodes WebP with libwebp
    # (webp-imageio), and must match Pillow exactly either way.
    odd = astronaut.crop((20, 30, 95, 81))
    odd.save(path("lossy_75x51.webp"), quality=85, method=4)
    edge["lossy_75x51.webp"] = {}
    odd.save(path("lossy_q100_75x51.webp"), quality=100, method=4)
    edge["lossy_q100_75x51.webp"] = {}

    lossy_alpha = np.asarray(coffee.crop((40, 20, 103, 67)).convert("RGBA")).copy()
    lossy_alpha[..., 3] = np.linspace(255, 0, lossy_alpha.shape[1]).round().astype(np.uint8)[None, :]
    lossy_alpha[10:20, 5:25, 3] = 0
    for quality, name in ((85, "lossy_alpha_63x47.webp"), (100, "lossy_alpha_q100_63x47.webp")):
        Image.fromarray(lossy_alpha, "RGBA").save(path(name), quality=quality, method=4, lossless=False)
        edge[name] = {}

    # Primary and secondary colours at full saturation, blurred into each other so blocks mix clipped and
    # unclipped samples.
    saturated = np.zeros((48, 64, 3), np.uint8)
    for index, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255),
                                    (0, 255, 255), (255, 255, 255), (0, 0, 0)]):
        saturated[:, index * 8:(index + 1) * 8] = colour
    saturated[24:] = np.asarray(Image.fromarray(saturated[24:]).resize((16, 6)).resize((64, 24), Image.Resampling.BICUBIC))
    for quality, name in ((85, "lossy_saturated_64x48.webp"), (100, "lossy_saturated_q100_64x48.webp")):
        Image.fromarray(saturated, "RGB").save(path(name), quality=quality, method=4)
        edge[name] = {}

    # Loop-filter variants, checked bit for bit: the simple filter with sharpness and no segments, the normal
    # filter at full strength with high sharpness and strong noise shaping (per-segment levels), the lowest
    # quality (chroma DC quantizer cap), and libvpx's stream with mode/reference filter deltas and 8 token
    # partitions.
    with tempfile.TemporaryDirectory() as scratch:
        face = os.path.join(scratch, "face.png")
        astronaut.crop((150, 40, 246, 104)).save(face)
        cup = os.path.join(scratch, "cup.png")
        coffee.crop((200, 100, 280, 160)).save(cup)
        for name, source, options in (
                ("vp8_simple_sharpness5_one_segment.webp", face,
                 ["-q", "60", "-nostrong", "-f", "70", "-sharpness", "5", "-segments", "1"]),
                ("vp8_normal_sharpness7_sns100.webp", face,
                 ["-q", "40", "-strong", "-f", "100", "-sharpness", "7", "-segments", "4", "-sns", "100"]),
                ("vp8_quality2.webp", cup, ["-q", "2", "-strong", "-f", "50"])):
            subprocess.run(["/usr/bin/cwebp", "-quiet", *options, source, "-o", path(name)], check=True)
            edge[name] = {}
    write_libvpx_webp(path("vp8_libvpx_deltas_8_partitions.webp"), astronaut.crop((150, 40, 246, 104)),
                      "--token-parts=3", "--end-usage=q", "--cq-level=30", "--min-q=20", "--max-q=40")
    edge["vp8_libvpx_deltas_8_partitions.webp"] = {}
    # A larger smooth photo, where prediction errors would add up; its reference is kept as a hash (the PNG
    # would be 280 KB).
    skimage("coffee.png").convert("RGB").crop((44, 50, 556, 434)).save(path("lossy_512x384.webp"), quality=85,
                                                                        method=4)
    edge["lossy_512x384.webp"] = {"hash_only": True}

    webp_alpha = np.asarray(chelsea.convert("RGBA")).copy()
    webp_alpha[..., 3] = np.linspace(255, 0, webp_alpha.shape[0]).round().astype(np.uint8)[:, None]
    webp_alpha[40:60, 60:90, 3] = 0
    Image.fromarray(webp_alpha, "RGBA").save(path("lossless_alpha.webp"), lossless=True, quality=100, method=4)
    edge["lossless_alpha.webp"] = {}

    return edge


def save_invalid_inputs():
    fresh_dir(INVALID)

    def write(name, data):
        with open(os.path.join(INVALID, name), "wb") as out:
            out.write(data)

    coffee = skimage("coffee.png").convert("RGB").resize((90, 60), Image.Resampling.LANCZOS)

    write("empty.jpg", b"")
    write("text.txt", b"This is a plain text file, not a picture.\nIt has two lines.\n")
    write("document.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                          b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

    buffer = io.BytesIO()
    coffee.save(buffer, "TIFF")
    write("image.tif", buffer.getvalue())

    buffer = io.BytesIO()
    coffee.save(buffer, "JPEG", quality=90)
    jpeg = buffer.getvalue()
    write("truncated.jpg", jpeg[:len(jpeg) * 6 // 10])

    buffer = io.BytesIO()
    coffee.save(buffer, "JPEG", quality=90, progressive=True)
    progressive = buffer.getvalue()
    write("truncated_progressive.jpg", progressive[:len(progressive) // 2])

    # A JPEG whose SOF0 claims 60000x60000 pixels on top of a 90x60 scan.
    sof = jpeg.index(b"\xff\xc0")
    write("bomb.jpg", jpeg[:sof + 5] + struct.pack(">HH", 60000, 60000) + jpeg[sof + 9:])

    buffer = io.BytesIO()
    coffee.save(buffer, "PNG")
    png = buffer.getvalue()
    idat_offset, _, idat = next(chunk for chunk in png_chunks(png) if chunk[1] == b"IDAT")
    idat_end = idat_offset + 8 + len(idat)

    write("truncated.png", png[:idat_offset + 8 + len(idat) // 2])

    # Intact data, wrong CRC on the IDAT chunk: only a CRC check notices.
    bad_crc = bytearray(png)
    bad_crc[idat_end] ^= 0xFF
    write("bad_crc.png", bytes(bad_crc))

    # Garbage in the compressed stream (zlib header included) under a correct CRC: the inflater must fail.
    garbled = bytearray(idat)
    garbled[0:64] = bytes(range(0xC0, 0x100))
    garbled_chunk = png_chunk(b"IDAT", bytes(garbled))
    write("garbled_idat.png", png[:idat_offset] + garbled_chunk + png[idat_end + 4:])

    # Decompression bomb: the header claims 100000x100000 RGB pixels (30 GB); the file is a few hundred bytes.
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    bomb = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 300001, 9)) + png_chunk(b"IEND", b""))
    assert len(bomb) < 1000
    write("bomb.png", bomb)


# ---------------------------------------------------------------------------------------------------------------
# Goldens.

def torchvision_geometry(width, height):
    """The resized size and crop offsets torchvision 0.14 uses (mirrors _compute_resized_output_size and
    center_crop, for the record in goldens.json; the golden pixels come from torchvision itself)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = SIZE, int(SIZE * long / short)
    resized_w, resized_h = (new_short, new_long) if width <= height else (new_long, new_short)
    return resized_w, resized_h, int(round((resized_w - SIZE) / 2.0)), int(round((resized_h - SIZE) / 2.0))


def preprocess_golden(name, source_path, reference):
    before_tensor = CLIP_TRANSFORM_BEFORE_TENSOR(reference)
    assert before_tensor.mode == "RGB" and before_tensor.size == (SIZE, SIZE)
    before_tensor.save(os.path.join(GOLDEN_PREPROCESS, name + ".png"), optimize=True)
    tensor = CLIP_TRANSFORM_TENSOR(before_tensor)  # (3, 224, 224) float32
    resized_w, resized_h, crop_left, crop_top = torchvision_geometry(*reference.size)
    return {
        "name": name,
        "source": os.path.relpath(source_path, os.path.join(ROOT, "src/test/resources")),
        "originalSize": list(reference.size),
        "resizedSize": [resized_w, resized_h],
        "cropOffset": [crop_left, crop_top],
        "channelMean": [round(float(v), 8) for v in tensor.double().mean(dim=(1, 2))],
        "channelStd": [round(float(v), 8) for v in tensor.double().std(dim=(1, 2), unbiased=False)],
    }


def golden_name(relative_path):
    stem, extension = os.path.splitext(relative_path.replace("/", "_"))
    return stem + "_" + extension[1:]


def tiny_resize_cases():
    """Pillow's bicubic output for small synthetic images the Java test builds itself: pixel (x, y) has
    R = (x*37 + y*11) % 256, G = (x*x + 3*y*y) % 256, B = 255 if (x + y) % 2 == 0 else 0."""
    cases = []
    for (width, height), (new_width, new_height) in [((7, 5), (3, 2)), ((5, 4), (11, 9)), ((9, 3), (4, 6))]:
        pixels = np.zeros((height, width, 3), np.uint8)
        for y in range(height):
            for x in range(width):
                pixels[y, x] = ((x * 37 + y * 11) % 256, (x * x + 3 * y * y) % 256, 255 if (x + y) % 2 == 0 else 0)
        resized = Image.fromarray(pixels, "RGB").resize((new_width, new_height), Image.Resampling.BICUBIC)
        cases.append({"size": [width, height], "resizedSize": [new_width, new_height],
                      "rgb": np.asarray(resized).reshape(-1).tolist()})
    return cases


def main():
    check_versions()
    torch.set_num_threads(1)  # deterministic float reductions for the recorded means
    photos = save_photos()
    edge = save_edge_cases()
    save_invalid_inputs()
    fresh_dir(GOLDEN_DECODED)
    fresh_dir(GOLDEN_PREPROCESS)

    goldens = []
    for file_name, purpose in photos.items():
        source = os.path.join(IMAGES, file_name)
        entry = preprocess_golden(golden_name(file_name), source, reference_rgb(source))
        if file_name in PHOTO_GEOMETRY:
            assert entry["resizedSize"] + entry["cropOffset"] == PHOTO_GEOMETRY[file_name], (file_name, entry)
        entry["purpose"] = purpose
        goldens.append(entry)

    decoded = []
    for file_name, extra in edge.items():
        source = os.path.join(EDGE, file_name)
        extra = dict(extra)
        hash_only = extra.pop("hash_only", False)
        reference = reference_rgb(source, **extra)
        name = golden_name("edge/" + file_name)
        entry = {"name": name, "source": os.path.relpath(source, os.path.join(ROOT, "src/test/resources")),
                 "size": list(reference.size)}
        if hash_only:
            # SHA-256 of the RGB samples, row-major, R G B per pixel.
            entry["rgbSha256"] = hashlib.sha256(np.asarray(reference, np.uint8).tobytes()).hexdigest()
        else:
            reference.save(os.path.join(GOLDEN_DECODED, name + ".png"), optimize=True)
        decoded.append(entry)
        goldens.append(preprocess_golden(name, source, reference))

    document = {
        "generatedBy": "tools/make_preprocess_goldens.py",
        "versions": {"Pillow": PIL.__version__, "torch": torch.__version__, "torchvision": torchvision.__version__},
        "imageSize": SIZE,
        "mean": list(MEAN),
        "std": list(STD),
        "preprocess": goldens,
        "decoded": decoded,
        "tinyResizeCases": tiny_resize_cases(),
    }
    text = json.dumps(document, indent=1)
    # One line per list of numbers keeps the file readable (and diffs small).
    text = re.sub(r"\[\s*(-?[\d.e-]+(?:,\s*-?[\d.e-]+)*)\s*\]",
                  lambda match: "[" + ", ".join(match.group(1).split()).replace(",,", ",") + "]", text)
    with open(os.path.join(GOLDEN_PREPROCESS, "goldens.json"), "w") as out:
        out.write(text + "\n")
    print(f"wrote {len(goldens)} preprocess goldens and {len(decoded)} decoded references")


if __name__ == "__main__":
    main()
