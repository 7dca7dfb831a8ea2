"""The headshot pack pipeline end to end with tiny models in the real layouts."""

from __future__ import annotations

import errno
import json

import numpy as np
import pytest

from studio.core.errors import BadInput, Cancelled, ModelMissing
from studio.pipelines import headshots
from studio.pipelines.headshots import packs
from studio.pipelines.headshots.pack import PackRequest, run
from studio.pipelines.headshots.reroll import RerollRequest, reroll

FAST = {"steps": 2, "refine_steps": 2, "refine_strength": 0.5}


def _request(selfie, folder, **kw):
    base = dict(
        selfies=[selfie],
        count=5,
        size=64,
        batch_size=2,
        refine_top_k=2,
        overrides=dict(FAST),
        folder=folder,
        seed=11,
    )
    base.update(kw)
    return PackRequest(**base)


def _capture(ctx, hook=None):
    """Record (stage, done, total, has_preview) and let ``hook`` act on each report."""
    seen = []
    inner = ctx.progress

    def progress(stage, done, total, preview=None):
        seen.append((stage, done, total, preview is not None))
        inner(stage, done, total, preview)
        if hook:
            hook(stage, done, total)

    ctx.progress = progress
    return seen


def test_pack_streams_scores_refines_and_saves(hs_context, selfie_file, tmp_path):
    folder = tmp_path / "pack"
    states = []

    def hook(stage, done, total):
        if stage == "Drafts" and done:
            states.append((done, len(packs.load_pack(folder).images)))

    seen = _capture(hs_context, hook)
    result = run(_request(selfie_file, folder), hs_context)
    # Drafts stream out one by one, in order, each saved (and in the manifest) before it is
    # reported; the CPU tail may already have saved the next ones (it overlaps the GPU).
    assert [done for done, _ in states] == list(range(1, 6))
    assert all(saved >= done for done, saved in states)
    drafts = [s for s in seen if s[0] == "Drafts" and s[1] > 0]
    assert all(has_preview for *_, has_preview in drafts)
    assert [s[0] for s in seen].index("Refining") > [s[0] for s in seen].index("Drafts")
    pack = result.pack
    assert len(pack.images) == 5 and pack.complete
    for im in pack.images:
        assert pack.path(im.draft).is_file() and pack.path(im.latent).is_file()
        assert np.load(pack.path(im.latent)).shape == (4, 8, 8)
        assert "no-face" in im.flags  # random tiny weights draw no faces: flagged and hidden
        assert im.hidden and im.seed == 11 + im.index
    finals = [im for im in pack.images if im.final]
    assert [im.index for im in finals] == sorted(result.ranked[:2])
    from PIL import Image

    with Image.open(pack.path(finals[0].final)) as img:
        assert img.size == (256, 256)  # refined at 64, Real-ESRGAN x4
    assert (folder / "selfies" / "0.jpg").is_file()
    assert pack.identity["kps"] and len(pack.identity["embedding"]) == 512
    assert result.stage_seconds["drafts"] > 0

    # Saved packs reload with their images and scores.
    again = packs.list_packs(tmp_path)[0]
    assert [im.index for im in again.ranked()] == result.ranked
    assert again.images[0].sharpness == pack.images[0].sharpness

    # Export: JPEG q95 and WebP with embedded metadata and a JSON sidecar.
    out = packs.export_images(again, [finals[0].index, 3], tmp_path / "export", "jpeg")
    meta = packs.read_embedded_metadata(out[0])
    assert meta["seed"] == finals[0].seed and meta["models"]["identity"] == "instantid"
    assert "corporate" in meta["style"] and meta["prompt"].startswith("professional")
    sidecar = json.loads(out[0].with_suffix(".json").read_text())
    assert sidecar["scores"]["id_score"] == finals[0].id_score
    webp = packs.export_images(again, [3], tmp_path / "export", "webp")[0]
    assert webp.suffix == ".webp" and packs.read_embedded_metadata(webp)["index"] == 3

    # Re-roll one refined image with a new seed: new draft, refined again.
    before = pack.path(finals[0].draft).read_bytes()
    item = reroll(RerollRequest(folder, finals[0].index, seed=999), hs_context)
    assert item.seed == 999 and item.final
    reloaded = packs.load_pack(folder)
    assert reloaded.image(item.index).seed == 999
    assert reloaded.path(item.draft).read_bytes() != before


def test_same_seed_same_image_whatever_the_batch(hs_context, selfie_file, tmp_path):
    a = run(
        _request(selfie_file, tmp_path / "a", count=2, batch_size=2, refine_top_k=0, upscale=False),
        hs_context,
    ).pack
    b = run(
        _request(selfie_file, tmp_path / "b", count=2, batch_size=1, refine_top_k=0, upscale=False),
        hs_context,
    ).pack
    for x, y in zip(a.images, b.images, strict=False):
        np.testing.assert_allclose(
            np.load(a.path(x.latent)), np.load(b.path(y.latent)), rtol=1e-3, atol=2e-3
        )


def test_cancel_keeps_finished_images_and_resumes(hs_context, selfie_file, tmp_path):
    folder = tmp_path / "pack"

    def hook(stage, done, total):
        if stage == "Drafts" and done == 2:
            hs_context.cancel.cancel()

    _capture(hs_context, hook)
    request = _request(selfie_file, folder, refine_top_k=0, upscale=False)
    with pytest.raises(Cancelled):
        run(request, hs_context)
    kept = packs.load_pack(folder)
    # Images 0 and 1 were reported; the tail may have finished the rest of their batch too.
    assert [im.index for im in kept.images] in ([0, 1], [0, 1, 2, 3]) and not kept.complete
    first = kept.path(kept.images[0].draft).read_bytes()

    hs_context.cancel = type(hs_context.cancel)()
    hs_context.progress = lambda *a, **k: None
    done = run(request, hs_context).pack
    assert len(done.images) == 5 and done.complete
    assert done.path(done.images[0].draft).read_bytes() == first  # resumed, not redone
    with pytest.raises(BadInput, match="different pack"):
        run(_request(selfie_file, folder, style="actor"), hs_context)


def test_out_of_memory_mid_pack_keeps_images_and_low_memory_retry_resumes(
    hs_context, selfie_file, tmp_path
):
    import torch

    folder = tmp_path / "pack"

    def hook(stage, done, total):
        if stage == "Drafts" and done == 3:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    _capture(hs_context, hook)
    request = _request(selfie_file, folder, count=4, refine_top_k=1, upscale=False)
    with pytest.raises(torch.OutOfMemoryError):
        run(request, hs_context)
    assert len(packs.load_pack(folder).images) in (3, 4)  # 3 reported, 4th may be saved
    assert headshots.JOBS["headshots.pack"].low_memory
    # What the service does next: the same request again, in low-memory mode.
    hs_context.progress = lambda *a, **k: None
    hs_context.low_memory = True
    result = run(request, hs_context)
    assert len(result.pack.images) == 4 and sum(bool(im.final) for im in result.pack.images) == 1


@pytest.mark.parametrize(
    "photo, message",
    [
        ("coffee", "No face"),
        ("group", "faces found"),
    ],
)
def test_bad_selfies(hs_context, photos, tmp_path, photo, message):
    with pytest.raises(BadInput, match=message):
        run(_request(photos[photo], tmp_path / "p"), hs_context)
    assert not (tmp_path / "p").exists()


def test_bad_requests(hs_context, selfie_file, tmp_path):
    junk = tmp_path / "selfie.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    cases = [
        (dict(selfies=[junk]), "damaged|not an image|cannot|could not"),
        (dict(style="custom", custom_prompt="  "), "empty"),
        (dict(style="no-such-style"), "Unknown style"),
        (dict(custom_prompt="nude on a beach"), "not allowed"),
        (dict(count=0), "at least one"),
        (dict(size=100), "multiple of 64"),
        (dict(selfies=[]), "at least one selfie"),
    ]
    for kw, message in cases:
        with pytest.raises(BadInput, match=message):
            run(_request(selfie_file, tmp_path / "p", **kw), hs_context)


def test_missing_model_fails_before_work(run_context, selfie_file, tmp_path):
    with pytest.raises(ModelMissing, match="RealVisXL"):
        run(_request(selfie_file, tmp_path / "p"), run_context)
    assert run_context.reports == []


def test_export_disk_full_leaves_no_partial_files(hs_context, selfie_file, tmp_path, monkeypatch):
    pack = run(
        _request(selfie_file, tmp_path / "pack", count=1, refine_top_k=0, upscale=False), hs_context
    ).pack
    from PIL import Image

    def full(self, fp, *a, **k):
        open(fp, "wb").write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full)
    with pytest.raises(BadInput, match="disk is full"):
        packs.export_images(pack, [0], tmp_path / "export", "jpeg")
    assert list((tmp_path / "export").iterdir()) == []
    with pytest.raises(BadInput, match="format"):
        packs.export_images(pack, [0], tmp_path / "export", "gif")


def _hand_made_pack(folder):
    """A small saved pack (one draft, one final) written through the packs module."""
    rgb = np.full((64, 64, 3), 128, np.uint8)
    pack = packs.Pack(folder, "corporate", "a portrait", "", {"steps": 2}, {}, [])
    packs.write_image(rgb, folder / "drafts/000.jpg")
    packs.write_image(rgb, folder / "final/000.jpg")
    np.save(folder / "latents.npy", np.zeros(4, np.float16))
    pack.images.append(
        packs.PackImage(0, 1, "drafts/000.jpg", "latents.npy", final="final/000.jpg")
    )
    pack.save()
    return pack


@pytest.mark.parametrize("field", ["final", "draft", "latent"])
@pytest.mark.parametrize("where", ["../victim.jpg", "drafts/../../victim.jpg", "ABSOLUTE"])
def test_paths_in_an_edited_manifest_stay_inside_the_pack(tmp_path, run_context, field, where):
    victim = tmp_path / "victim.jpg"
    victim.write_bytes(b"the user's file")
    folder = tmp_path / "pack"
    _hand_made_pack(folder)
    manifest = json.loads((folder / packs.MANIFEST).read_text())
    manifest["images"][0][field] = str(victim) if where == "ABSOLUTE" else where
    (folder / packs.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BadInput, match="outside its folder"):
        packs.load_pack(folder)
    with pytest.raises(BadInput, match="outside its folder"):
        reroll(RerollRequest(folder, 0, seed=3), run_context)  # re-roll deletes the old final
    assert victim.read_bytes() == b"the user's file"
    assert packs.list_packs(tmp_path) == []  # a damaged pack is skipped in the list


def test_a_link_out_of_the_pack_is_refused(tmp_path):
    victim = tmp_path / "victim.jpg"
    victim.write_bytes(b"the user's file")
    folder = tmp_path / "pack"
    _hand_made_pack(folder)
    (folder / "final/000.jpg").unlink()
    (folder / "final/000.jpg").symlink_to(victim)
    with pytest.raises(BadInput, match="outside its folder"):
        packs.load_pack(folder)
    assert victim.exists()


def test_a_manifest_with_unknown_fields_is_damaged_not_a_crash(tmp_path):
    folder = tmp_path / "pack"
    _hand_made_pack(folder)
    manifest = json.loads((folder / packs.MANIFEST).read_text())
    manifest["images"][0]["surprise"] = 1
    (folder / packs.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BadInput, match="damaged"):
        packs.load_pack(folder)


def test_a_clean_hand_made_pack_loads_and_exports(tmp_path):
    folder = tmp_path / "pack"
    _hand_made_pack(folder)
    pack = packs.load_pack(folder)
    assert pack.path("final/000.jpg") == folder / "final/000.jpg"
    written = packs.export_images(pack, [0], tmp_path / "out")
    assert [p.name for p in written] == ["headshot_001.jpg"]  # index 0 is "#1" in the app
    assert packs.read_embedded_metadata(written[0])["index"] == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "headshot_001.jpg",
        "headshot_001.json",
    ]
