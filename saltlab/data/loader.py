"""Load a dataset folder in the Kaggle TGS layout (real or synthetic).

The layout is that of the competition's ``train`` set::

    folder/
        images/<id>.png   101x101 seismic section
        masks/<id>.png    101x101 salt mask
        depths.csv        optional, "id,z" (the Kaggle file also lists the
                          test ids: extra rows are ignored)
        train.csv         optional, "id,rle_mask" (run-length masks)

A folder holding ``train/images`` instead of ``images`` is accepted too (the
CSV files are then looked up in the folder and in ``train/``).

Quirks of the real files, all handled: images are RGB PNGs with three equal
channels (one is taken; unequal channels are converted to grey with the
ITU-R 601 luma weights); masks of images with salt are 16-bit PNGs with
values {0, 65535} while empty masks are 8-bit all-zero PNGs, so masks are
binarised with ``> 0`` after checking they hold only 0 and one of 1, 255 or
65535; 80 of the 4000 images are one constant value (all with empty masks);
``train.csv`` agrees exactly with the mask PNGs.
"""

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from saltlab.data.dataset import DatasetError, SaltSet
from saltlab.data.pngio import read_png
from saltlab.data.rle import SIZE, rle_decode
from saltlab.data.writer import ensure_default_dataset

_MASK_LEVELS = (1, 255, 65535)
_LUMA = np.array([0.299, 0.587, 0.114])


@dataclass
class _Problem:
    file: str  # the file to blame
    reason: str  # what was found and what was expected
    id: str = None  # the pair it spoils, None for the whole folder
    unreadable: bool = False  # True: the pair cannot be used at all

    def __str__(self):
        return f"{self.file}: {self.reason}"


@dataclass
class _Scan:
    root: Path
    ids: list = field(default_factory=list)  # readable pairs, sorted
    images: dict = field(default_factory=dict)
    masks: dict = field(default_factory=dict)
    depths: dict = None  # id -> int, None without depths.csv
    rle: dict = None  # id -> str, None without train.csv
    rle_mismatches: int = 0
    problems: list = field(default_factory=list)


def load_dataset(folder, *, skip_bad=False):
    """Load images, masks and depths of a dataset folder, ids sorted.

    Parameters
    ----------
    folder : str or pathlib.Path
        Folder holding ``images/`` and ``masks/`` (and optionally
        ``depths.csv``, ``train.csv``); the Kaggle ``train`` set or one made
        by :func:`saltlab.data.generate_dataset`.
    skip_bad : bool, optional
        False (default): the first problem raises. True: bad pairs are
        skipped, listed in ``SaltSet.skipped`` and summarised in a warning.

    Returns
    -------
    SaltSet
        ``images`` uint8 (N, 101, 101), ``masks`` uint8 {0, 1}
        (N, 101, 101), ``depths`` int64 (N,) or (0,) without depths.csv.

    Raises
    ------
    DatasetError
        Missing folder, image without mask or mask without image, wrong size,
        unreadable or truncated PNG, non-binary mask, duplicate id (in the
        folders or a CSV), missing depth, run-length mask disagreeing with
        the PNG. The message names the file. With ``skip_bad=True`` only
        folder-level problems raise.
    """
    scan = _scan(folder)
    bad_ids = {p.id for p in scan.problems if p.id is not None}
    folder_level = [p for p in scan.problems if p.id is None]
    if folder_level or (scan.problems and not skip_bad):
        first = (folder_level or scan.problems)[0]
        more = len(scan.problems) - 1
        hint = (
            f" (and {more} more problem{'s' if more > 1 else ''}: "
            f"`python -m saltlab.data inspect {scan.root}` lists them; "
            "load_dataset(..., skip_bad=True) skips bad pairs)"
            if more
            else ""
        )
        raise DatasetError(f"{first}{hint}")
    keep = [i for i in scan.ids if i not in bad_ids]
    if not keep:
        raise DatasetError(
            f"{scan.root}: no usable image/mask pair "
            f"({len(scan.problems)} problems, first: {scan.problems[0]})"
        )
    skipped = [(p.file, p.reason) for p in scan.problems]
    if skipped:
        n_pairs = len(keep) + len(bad_ids)
        shown = "; ".join(f"{f}: {r}" for f, r in skipped[:3])
        warnings.warn(
            f"{scan.root}: skipped {len(bad_ids)} of {n_pairs} pairs "
            f"({len(skipped)} problems): {shown}"
            + (" ..." if len(skipped) > 3 else ""),
            stacklevel=2,
        )
    depths = (
        np.array([scan.depths[i] for i in keep], dtype=np.int64)
        if scan.depths is not None
        else np.zeros(0, dtype=np.int64)
    )
    return SaltSet(
        ids=keep,
        images=np.stack([scan.images[i] for i in keep]),
        masks=np.stack([scan.masks[i] for i in keep]),
        depths=depths,
        skipped=skipped,
    )


def _scan(folder):
    """Read everything readable and list every problem.

    Folder-level problems (no folder, no images/ or masks/, a CSV without its
    header) raise DatasetError at once; per-file problems are collected.
    """
    root = Path(folder)
    if not root.exists():
        raise DatasetError(
            f"{root}: dataset folder not found; expected a folder holding "
            "images/ and masks/ (the Kaggle train set, or one made by "
            "`python -m saltlab.data generate`)"
        )
    if not root.is_dir():
        raise DatasetError(f"{root}: is a file, expected a dataset folder")
    csv_dirs = [root]
    if not (root / "images").is_dir() and (root / "train" / "images").is_dir():
        root = root / "train"
        csv_dirs.append(root)
    scan = _Scan(root=root)
    listed = {}
    for sub in ("images", "masks"):
        if not (root / sub).is_dir():
            raise DatasetError(
                f"{root / sub}: folder not found; expected {sub}/ with one "
                f"101x101 PNG per id beside {'masks' if sub == 'images' else 'images'}/"
            )
        listed[sub] = _list_pngs(root / sub, scan.problems)
    if not listed["images"] and not listed["masks"]:
        raise DatasetError(f"{root / 'images'}: no PNG files found")

    images, masks = listed["images"], listed["masks"]
    for ident in sorted(set(images) - set(masks)):
        scan.problems.append(_Problem(
            str(images[ident]), f"image without mask: expected "
            f"{root / 'masks' / images[ident].name}", ident, True))
    for ident in sorted(set(masks) - set(images)):
        scan.problems.append(_Problem(
            str(masks[ident]), f"mask without image: expected "
            f"{root / 'images' / masks[ident].name}", ident, True))

    depths_path = _find(csv_dirs, "depths.csv")
    if depths_path is not None:
        rows = _read_csv(depths_path, ("id", "z"), scan.problems)
        scan.depths = {}
        for line, ident, value in rows:
            try:
                scan.depths[ident] = int(float(value))
            except ValueError:
                scan.problems.append(_Problem(
                    str(depths_path), f"line {line}: depth {value!r} of id "
                    f"{ident!r} is not a number", ident))
    train_path = _find(csv_dirs, "train.csv")
    if train_path is not None:
        scan.rle = {ident: (line, text) for line, ident, text in
                    _read_csv(train_path, ("id", "rle_mask"), scan.problems)}

    for ident in sorted(set(images) & set(masks)):
        image = _read_image(images[ident], scan.problems, ident)
        mask = _read_mask(masks[ident], scan.problems, ident)
        if image is None or mask is None:
            continue
        scan.ids.append(ident)
        scan.images[ident] = image
        scan.masks[ident] = mask
        if scan.depths is not None and ident not in scan.depths:
            scan.problems.append(_Problem(
                str(depths_path), f"no depth for id {ident!r} "
                f"(expected a row '{ident},<z>')", ident))
        if scan.rle is not None:
            _check_rle(scan, train_path, ident, mask)
    return scan


def _list_pngs(directory, problems):
    """id -> path of the PNG files of a folder; duplicates become problems."""
    found = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() != ".png":
            continue  # .DS_Store, Thumbs.db, notes: not part of the set
        ident = path.stem
        key = ident.lower()  # abc.png and ABC.PNG collide on many disks
        if key in found:
            problems.append(_Problem(
                str(path), f"duplicate id {ident!r}: {found[key].name} has "
                "the same id; expected one file per id", ident, True))
            continue
        found[key] = path
    return {path.stem: path for path in found.values()}


def _find(dirs, name):
    for directory in dirs:
        if (directory / name).is_file():
            return directory / name
    return None


def _read_csv(path, columns, problems):
    """(line, id, value) rows of a two-column CSV; duplicate ids are problems.

    A file without the expected header raises: nothing in it can be trusted.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path}: unreadable CSV ({exc})") from None
    if any(c not in header for c in columns):
        raise DatasetError(
            f"{path}: header {','.join(header)!r} lacks a column; expected "
            f"{','.join(columns)!r}"
        )
    where = [header.index(c) for c in columns]
    out, first_line = [], {}
    for line, row in enumerate(rows, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        cells = [row[i].strip() if i < len(row) else "" for i in where]
        ident = cells[0]
        if ident in first_line:
            problems.append(_Problem(
                str(path), f"id {ident!r} listed twice (lines "
                f"{first_line[ident]} and {line}); expected once", ident))
            continue
        first_line[ident] = line
        out.append((line, ident, cells[1]))
    return out


def _read_image(path, problems, ident):
    """(101, 101) uint8 grey image, or None with a problem recorded."""
    try:
        pixels = read_png(path)
    except DatasetError as exc:
        problems.append(_Problem(str(path), exc.reason, ident, True))
        return None
    if pixels.ndim == 3:
        rgb = pixels[..., :3]  # an alpha channel carries no seismic data
        if rgb.shape[-1] == 1 or (rgb == rgb[..., :1]).all():
            pixels = rgb[..., 0]
        else:
            pixels = np.rint(rgb.astype(np.float64) @ _LUMA[: rgb.shape[-1]])
    if pixels.shape != (SIZE, SIZE):
        problems.append(_Problem(
            str(path), f"image is {pixels.shape[1]}x{pixels.shape[0]} pixels, "
            f"expected {SIZE}x{SIZE}", ident, True))
        return None
    if pixels.max(initial=0) > 255 or pixels.min(initial=0) < 0:
        problems.append(_Problem(
            str(path), f"image has values up to {int(pixels.max())}, expected "
            "8-bit grey levels 0..255", ident, True))
        return None
    return pixels.astype(np.uint8)


def _read_mask(path, problems, ident):
    """(101, 101) uint8 {0, 1} mask, or None with a problem recorded."""
    try:
        pixels = read_png(path)
    except DatasetError as exc:
        problems.append(_Problem(str(path), exc.reason, ident, True))
        return None
    if pixels.ndim == 3:
        pixels = pixels[..., 0] if (pixels == pixels[..., :1]).all() else pixels
    if pixels.shape != (SIZE, SIZE):
        shape = "x".join(map(str, pixels.shape[1::-1])) + (
            f"x{pixels.shape[2]} channels" if pixels.ndim == 3 else "")
        problems.append(_Problem(
            str(path), f"mask is {shape} pixels, expected {SIZE}x{SIZE} "
            "single-channel", ident, True))
        return None
    salt = pixels[pixels != 0]
    # Cheap test first (one level, an allowed one); np.unique only to report.
    if salt.size and (int(salt[0]) not in _MASK_LEVELS or (salt != salt[0]).any()):
        levels = np.unique(pixels)
        shown = ", ".join(str(int(v)) for v in levels[:6])
        problems.append(_Problem(
            str(path), f"mask is not binary: values {{{shown}"
            f"{', ...' if levels.size > 6 else ''}}}, expected 0 and one of "
            "1, 255 or 65535", ident, True))
        return None
    return (pixels > 0).astype(np.uint8)


def _check_rle(scan, train_path, ident, mask):
    if ident not in scan.rle:
        scan.problems.append(_Problem(
            str(train_path), f"no row for id {ident!r} (expected "
            f"'{ident},<rle_mask>')", ident))
        return
    line, text = scan.rle[ident]
    try:
        decoded = rle_decode(text, mask.shape)
    except ValueError as exc:
        scan.problems.append(_Problem(
            str(train_path), f"line {line}: {exc}", ident))
        scan.rle_mismatches += 1
        return
    differ = int((decoded != mask).sum())
    if differ:
        scan.rle_mismatches += 1
        scan.problems.append(_Problem(
            str(train_path), f"line {line}: rle_mask of {ident!r} differs "
            f"from masks/{ident}.png in {differ} pixels; expected equal", ident))


def load_data(folder=None, *, log=print):
    """Load a dataset folder, or the synthetic default (generated if absent).

    Parameters
    ----------
    folder : str or pathlib.Path, optional
        Kaggle-layout folder (``images/``, ``masks/``); ``None``: ``data/synthetic``.
    log : callable, optional
        Receives one-line progress messages.

    Returns
    -------
    saltset : saltlab.data.SaltSet
        ``images`` uint8 (N, 101, 101), ``masks`` {0, 1} (N, 101, 101).
    """
    if folder is None:
        folder = ensure_default_dataset()
        log(f"      synthetic dataset at {folder}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--data {folder}: no such folder (expected images/ and masks/ inside)")
    saltset = load_dataset(folder, skip_bad=True)
    log(f"      {len(saltset)} images loaded from {folder}" + (f" ({len(saltset.skipped)} bad pairs skipped)" if saltset.skipped else ""))
    return saltset
