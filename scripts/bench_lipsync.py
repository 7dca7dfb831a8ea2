"""Lipsync benchmark: real-size MuseTalk 1.5 parts with random weights, one JSON object out.

    python scripts/bench_lipsync.py            # CUDA, fp16, real sizes (H100 target)
    python scripts/bench_lipsync.py --smoke    # CPU, tiny sizes, seconds
    python scripts/bench_lipsync.py --profile  # + per-stage timings of a 10 s render, encoder
                                               #   variants, torch.profiler table in $OUT

Builds musetalkV15 UNet, sd-vae-ft-mse and whisper-tiny from their published configs (random
weights time like trained ones), a BiSeNet face parser, and a stand-in SCRFD detector (an ONNX
graph that finds the synthetic avatar's face disc; the real 10g detector costs ~10 ms once per
avatar). Everything runs through the production pipeline (`studio.pipelines.lipsync`) from a
temporary model store: avatar preparation, time to first chunk, and the total for 10 s and
60 s of speech including blending and H.264 + AAC encoding.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
try:
    import studio  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402

UNET = {
    "act_fn": "silu",
    "attention_head_dim": 8,
    "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False,
    "cross_attention_dim": 384,
    "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 8,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "out_channels": 4,
    "sample_size": 64,
    "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
}
TINY_UNET = dict(
    UNET,
    block_out_channels=[32, 64],
    layers_per_block=1,
    down_block_types=["DownBlock2D", "CrossAttnDownBlock2D"],
    up_block_types=["CrossAttnUpBlock2D", "UpBlock2D"],
)


def build_store(root: Path, real: bool):
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    from studio.models.catalogue import load_catalogue
    from studio.models.store import ModelStore
    from studio.models.verify import hash_tree
    from studio.pipelines.lipsync.bisenet import BiSeNet

    store = ModelStore(root, load_catalogue())
    torch.manual_seed(0)

    def commit(model_id, build):
        staged = store.staging_dir(model_id)
        build(staged)
        store.commit(model_id, staged, hash_tree(staged))

    def unet(folder):
        cfg = UNET if real else TINY_UNET
        (folder / "musetalkV15").mkdir(parents=True)
        (folder / "musetalkV15" / "musetalk.json").write_text(json.dumps(cfg))
        model = UNet2DConditionModel(**cfg)
        torch.save(model.state_dict(), folder / "musetalkV15" / "unet.pth")

    def vae(folder):
        chans = [128, 256, 512, 512] if real else [8, 8, 16, 16]
        AutoencoderKL(
            down_block_types=["DownEncoderBlock2D"] * 4,
            up_block_types=["UpDecoderBlock2D"] * 4,
            block_out_channels=chans,
            layers_per_block=2 if real else 1,
            latent_channels=4,
            norm_num_groups=32 if real else 8,
            sample_size=256,
            mid_block_add_attention=real,
        ).save_pretrained(folder)

    def whisper(folder):
        cfg = WhisperConfig(
            vocab_size=51865 if real else 64,
            num_mel_bins=80,
            d_model=384,
            encoder_layers=4,
            encoder_attention_heads=6,
            encoder_ffn_dim=1536 if real else 64,
            decoder_layers=4 if real else 1,
            decoder_attention_heads=6,
            decoder_ffn_dim=1536 if real else 64,
            max_source_positions=1500,
            max_target_positions=448 if real else 32,
            **(
                {}
                if real
                else {
                    "pad_token_id": 0,
                    "bos_token_id": 1,
                    "eos_token_id": 2,
                    "decoder_start_token_id": 1,
                }
            ),
        )
        WhisperModel(cfg).save_pretrained(folder)
        WhisperFeatureExtractor(feature_size=80).save_pretrained(folder)

    def parser(folder):
        torch.save(BiSeNet(19, 64 if real else 8).state_dict(), folder / "79999_iter.pth")

    def detector(folder):
        try:
            export_disc_detector(folder / "models" / "antelopev2" / "scrfd_10g_bnkps.onnx")
        except Exception:  # noqa: BLE001 - no ONNX export here: the fixed face box is used
            from studio.pipelines.lipsync import face

            face.find_single_face = lambda ctx, image: face.FaceBox(
                (
                    image.shape[1] * 0.35,
                    image.shape[0] * 0.33,
                    image.shape[1] * 0.65,
                    image.shape[0] * 0.67,
                ),
                1.0,
                None,
            )

    for model_id, build in (
        ("musetalk-v15", unet),
        ("sd-vae-ft-mse", vae),
        ("whisper-tiny", whisper),
        ("face-parse-bisenet", parser),
        ("antelopev2", detector),
    ):
        commit(model_id, build)
    return store


def export_disc_detector(path: Path) -> None:
    import torch
    import torch.nn.functional as F

    class Disc(torch.nn.Module):
        def forward(self, x):
            warm = x[:, 0:1] - x[:, 2:3]
            s, b, k = [], [], []
            for stride in (8, 16, 32):
                cell = F.avg_pool2d(warm, stride)
                score = (
                    torch.sigmoid(30 * (F.avg_pool2d(cell, 5, 1, 2) - 1.3))
                    if stride == 32
                    else cell * 0
                )
                flat = score.permute(0, 2, 3, 1).reshape(1, -1, 1)
                flat = torch.cat([flat, flat * 0], 2).reshape(1, -1, 1)
                one = flat * 0 + 1
                s.append(flat)
                b.append(one.repeat(1, 1, 4) * 4.0)
                k.append(one.repeat(1, 1, 10) * 0.5)
            return (*s, *b, *k)

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        Disc(),
        (torch.zeros(1, 3, 640, 640),),
        str(path),
        input_names=["input.1"],
        output_names=[f"o{i}" for i in range(9)],
        opset_version=17,
        dynamo=False,
    )


def make_inputs(folder: Path, durations: tuple[int, ...]) -> tuple[Path, dict[int, Path]]:
    import cv2
    from PIL import Image

    from studio.pipelines.lipsync.audio import write_wav

    img = np.full((768, 768, 3), 120, np.uint8)
    cv2.circle(img, (384, 384), 146, (235, 80, 40), -1)
    avatar = folder / "avatar.png"
    Image.fromarray(img).save(avatar)
    rng = np.random.default_rng(0)
    speech = {}
    for seconds in durations:
        rate = 44100
        t = np.arange(seconds * rate) / rate
        syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)  # speech-like 4 Hz envelope
        voiced = sum(np.sin(2 * np.pi * f * t) / i for i, f in enumerate((140, 280, 420), 1))
        sig = 0.2 * syllables * voiced + 0.01 * rng.standard_normal(t.size)
        speech[seconds] = write_wav(folder / f"speech{seconds}.wav", sig.astype(np.float32), rate)
    return avatar, speech


def use_detector_or_fixed_box() -> str:
    """insightface + onnxruntime may be missing on the benchmark machine: then the face box is
    fixed (the detector costs ~10 ms once per avatar and is not what this benchmark is about)."""
    try:
        import insightface  # noqa: F401
        import onnxruntime  # noqa: F401

        return "insightface SCRFD stand-in"
    except Exception:  # noqa: BLE001
        from studio.pipelines.lipsync import face

        def fixed(ctx, image):
            h, w = image.shape[:2]
            return face.FaceBox((w * 0.35, h * 0.33, w * 0.65, h * 0.67), 1.0, None)

        face.find_single_face = fixed
        return "fixed box (insightface/onnxruntime not installed)"


def components(ctx, batch: int, out: dict, sync, tmp: Path) -> None:
    """Per-stage costs for one batch, to see which stage misses a target."""
    import torch

    from studio.pipelines.lipsync import models as lm
    from studio.pipelines.lipsync.encode import VideoWriter

    unet, vae = lm.load_unet(ctx), lm.load_vae(ctx)
    lat = torch.randn(batch, 8, 32, 32, device=ctx.device, dtype=ctx.dtype)
    feats = torch.randn(batch, 50, 384, device=ctx.device, dtype=ctx.dtype)
    t = torch.zeros(1, device=ctx.device, dtype=torch.long)

    def timed(fn, reps=3):
        fn()
        sync()
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        sync()
        return round((time.perf_counter() - t0) / reps * 1000, 2)

    with torch.inference_mode():
        out["unet_batch_ms"] = timed(lambda: unet(lat, t, encoder_hidden_states=feats).sample)
        out["vae_decode_batch_ms"] = timed(lambda: vae.decode(lat[:, :4]).sample)
    frames = np.random.default_rng(0).integers(0, 255, (batch, 512, 512, 3), dtype=np.uint8)
    t0 = time.perf_counter()
    writer = VideoWriter(tmp / "enc.mp4")
    writer.write(frames)
    writer.finish()
    out["h264_encode_batch_ms"] = round((time.perf_counter() - t0) * 1000, 2)


def profile(ctx, batch: int, out: dict, sync, tmp: Path, avatar_png: Path, wav: Path) -> None:
    """Per-stage CUDA-event timings of one render's work, variants of the costly stages, and a
    torch.profiler table of a whole render (written to $OUT when set)."""
    import threading

    import torch

    from studio.pipelines.lipsync import encode as enc
    from studio.pipelines.lipsync import models as lm
    from studio.pipelines.lipsync import render as rd
    from studio.pipelines.lipsync.audio import load_speech
    from studio.pipelines.lipsync.avatar import PrepareAvatarRequest, prepare_avatar
    from studio.pipelines.lipsync.features import AudioFeatureStream

    prof: dict = {}
    out["profile"] = prof
    cuda = ctx.device == "cuda"

    def timed(name, fn, reps=5):
        def go():
            fn()
            sync()
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            sync()
            prof[name] = round((time.perf_counter() - t0) / reps * 1000, 2)

        measure("profile_" + name, out, go)

    speech = load_speech(wav)
    avatar = prepare_avatar(PrepareAvatarRequest(avatar_png, cache_dir=tmp / "cache"), ctx)
    unet, vae, encoder = lm.load_unet(ctx), lm.load_vae(ctx), lm.load_audio_encoder(ctx)
    timed("load_speech_ms", lambda: load_speech(wav), reps=2)

    def feats_all():
        stream = AudioFeatureStream(encoder, speech.mono16k, rd.FPS)
        for s0, s1 in rd._chunks(stream.frames, 75):
            stream.window(s0, s1)

    timed("whisper_features_10s_ms", feats_all, reps=2)
    lat = torch.randn(batch, 8, 32, 32, device=ctx.device, dtype=ctx.dtype)
    feats = torch.randn(batch, 50, 384, device=ctx.device, dtype=ctx.dtype)
    tt = torch.zeros(1, device=ctx.device, dtype=torch.long)
    req = rd.RenderRequest(avatar_png, wav, tmp / "p.mp4")
    latents = lat[:1]
    with torch.inference_mode():
        timed("unet_ms", lambda: unet(lat, tt, encoder_hidden_states=feats).sample)
        timed(
            "generate_ms",
            lambda: rd._generate(unet, vae, latents, latents[:, 4:], feats, req, {"prev": None}),
        )
        timed("vae_ms", lambda: vae.decode(lat[:, :4]).sample)
        lat2 = torch.randn(2 * batch, 4, 32, 32, device=ctx.device, dtype=ctx.dtype)
        timed("vae_x2batch_ms", lambda: vae.decode(lat2).sample)
        if cuda:
            torch.backends.cudnn.benchmark = True
            timed("vae_cudnn_bench_ms", lambda: vae.decode(lat[:, :4]).sample)
            timed("unet_cudnn_bench_ms", lambda: unet(lat, tt, encoder_hidden_states=feats).sample)
            vae.to(memory_format=torch.channels_last)
            unet.to(memory_format=torch.channels_last)
            lcl = lat.contiguous(memory_format=torch.channels_last)
            timed("vae_cl_bench_ms", lambda: vae.decode(lcl[:, :4]).sample)
            timed("unet_cl_bench_ms", lambda: unet(lcl, tt, encoder_hidden_states=feats).sample)
            torch.backends.cudnn.benchmark = False
            timed("vae_cl_ms", lambda: vae.decode(lcl[:, :4]).sample)
            vae.to(memory_format=torch.contiguous_format)
            unet.to(memory_format=torch.contiguous_format)
        crops = torch.rand(batch, 3, 256, 256, device=ctx.device)
        comp = rd.Compositor(ctx, avatar, True)
        timed("paste_sway_to_host_ms", lambda: comp.paste(crops, 0))
        if hasattr(comp, "paste_yuv"):

            def yuv():
                host, ready = comp.paste_yuv(crops, 0)
                if ready is not None:
                    ready.synchronize()

            timed("paste_sway_yuv_to_host_ms", yuv)
        comp.idle = False
        timed("paste_nosway_to_host_ms", lambda: comp.paste(crops, 0))
    frames = comp.paste(crops, 0)

    def encode_rgb(threads=None):
        w = enc.VideoWriter(tmp / "e.mp4")
        w.write(frames)
        w.finish()

    timed("encode_rgb_batch_ms", encode_rgb, reps=3)

    def gil():
        # How much does the encoder thread slow pure-Python work on the main thread?
        def spin(n=300000):
            t0 = time.perf_counter()
            x = 0
            for i in range(n):
                x += i
            return time.perf_counter() - t0

        alone = spin()
        th = threading.Thread(target=encode_rgb)
        th.start()
        busy = spin()
        th.join()
        prof["python_slowdown_during_encode"] = round(busy / alone, 2)

    measure("gil", out, gil)

    def raw_encode(fmt: str, thread_type: str, threads: int = 0) -> None:
        # 250 frames (10 s) straight through PyAV: input format and x264 threading variants.
        import av

        rgb = np.ascontiguousarray(frames)
        yuv = [
            av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv420p").to_ndarray()
            for f in rgb
        ]
        with av.open(str(tmp / "raw.mp4"), "w") as c:
            st = c.add_stream("libx264", rate=25)
            st.width = st.height = 512
            st.pix_fmt = "yuv420p"
            st.options = {"preset": "ultrafast", "crf": "26"}
            st.codec_context.thread_type = thread_type
            st.codec_context.thread_count = threads
            t0 = time.perf_counter()
            for i in range(250):
                j = i % len(rgb)
                if fmt == "rgb24":
                    fr = av.VideoFrame.from_ndarray(rgb[j], format="rgb24")
                else:
                    fr = av.VideoFrame.from_ndarray(yuv[j], format="yuv420p")
                for pk in st.encode(fr):
                    c.mux(pk)
            for pk in st.encode():
                c.mux(pk)
            prof[f"encode250_{fmt}_{thread_type}_{threads}_ms"] = round(
                (time.perf_counter() - t0) * 1000, 1
            )

    for variant in (
        ("rgb24", "SLICE", 0),
        ("yuv420p", "SLICE", 0),
        ("yuv420p", "FRAME", 0),
        ("yuv420p", "SLICE", 8),
        ("yuv420p", "FRAME", 8),
    ):
        measure("encode_" + "_".join(map(str, variant)), out, lambda v=variant: raw_encode(*v))

    def whole(no_encode: bool):
        real = enc.VideoWriter

        class Null:
            def __init__(self, *a, **k):
                pass

            def write(self, frames):
                pass

            def write_yuv420(self, planes, ready=None):
                pass

            def finish(self):
                pass

            def abort(self):
                pass

        if no_encode:
            enc.VideoWriter = Null
        try:
            sync()
            t0 = time.perf_counter()
            rd.render(
                rd.RenderRequest(
                    avatar_png, wav, tmp / "w.mp4", batch_size=batch, cache_dir=tmp / "cache"
                ),
                ctx,
            )
            sync()
            return round(time.perf_counter() - t0, 3)
        finally:
            enc.VideoWriter = real

    prof["render_10s_no_encoder_s"] = measure("whole_noenc", out, lambda: whole(True))
    prof["render_10s_s"] = measure("whole", out, lambda: whole(False))

    def torch_prof():
        from torch.profiler import ProfilerActivity
        from torch.profiler import profile as tprof

        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
        with tprof(activities=acts) as p:
            whole(False)
        key = "cuda_time_total" if cuda else "cpu_time_total"
        table = p.key_averages().table(sort_by=key, row_limit=40)
        table2 = p.key_averages().table(sort_by="cpu_time_total", row_limit=40)
        dest = Path(os.environ.get("OUT", str(tmp)))
        (dest / "lipsync_torch_profile.txt").write_text(table + "\n\n" + table2)

    measure("torch_profiler", out, torch_prof)


def measure(name: str, out: dict, fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - report and carry on with the next measurement
        out.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
        out.setdefault("tracebacks", {})[name] = traceback.format_exc(limit=4)
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny models on the CPU")
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--profile", action="store_true", help="per-stage profile of 10 s")
    args = parser.parse_args()
    import torch

    from studio.pipelines.context import RunContext
    from studio.pipelines.lipsync.avatar import PrepareAvatarRequest, prepare_avatar
    from studio.pipelines.lipsync.render import RenderRequest, render
    from studio.services.model_cache import ModelCache

    device = "cpu" if args.smoke or not torch.cuda.is_available() else "cuda"
    detector = use_detector_or_fixed_box()
    out: dict = {
        "bench": "lipsync",
        "smoke": args.smoke,
        "device": device,
        "torch": torch.__version__,
        "batch_size": args.batch_size,
        "detector": detector,
    }
    if device == "cuda":
        out["gpu"] = torch.cuda.get_device_name(0)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        store = measure("build_models", out, lambda: build_store(tmp / "models", not args.smoke))
        out["build_models_s"] = round(time.perf_counter() - t, 2)
        if store is None:
            print(json.dumps(out))
            return 1
        durations = (2, 4) if args.smoke else (10, 60)  # smoke: seconds on a CPU
        avatar, speech = make_inputs(tmp, durations)
        ctx = RunContext(store=store, cache=ModelCache(), device=device)

        def req(seconds, cache="cache", name="out"):
            return RenderRequest(
                avatar,
                speech[seconds],
                tmp / f"{name}{seconds}.mp4",
                batch_size=args.batch_size,
                cache_dir=tmp / cache,
            )

        # warm-up: loads every model and runs each kernel once (not timed)
        t = time.perf_counter()
        measure("warmup", out, lambda: render(req(durations[0], "warm", "warm"), ctx))
        out["load_and_warmup_s"] = round(time.perf_counter() - t, 2)

        def prep():
            sync()
            t0 = time.perf_counter()
            prepare_avatar(PrepareAvatarRequest(avatar, cache_dir=tmp / "cache"), ctx)
            sync()
            out["avatar_prepare_s"] = round(time.perf_counter() - t0, 4)
            t0 = time.perf_counter()
            cached = prepare_avatar(PrepareAvatarRequest(avatar, cache_dir=tmp / "cache"), ctx)
            out["avatar_cached_load_s"] = round(time.perf_counter() - t0, 4)
            assert cached.from_cache

        measure("avatar", out, prep)
        for seconds in durations:

            def run(seconds=seconds):
                sync()
                result = render(req(seconds), ctx)
                sync()
                out[f"total_{seconds}s_audio_s"] = round(result.seconds, 3)
                out[f"first_chunk_{seconds}s_audio_s"] = round(result.first_chunk_s, 3)
                out[f"realtime_factor_{seconds}s"] = round(seconds / result.seconds, 2)
                out[f"frames_{seconds}s"] = result.frames

            measure(f"render_{seconds}s", out, run)
        measure("components", out, lambda: components(ctx, args.batch_size, out, sync, tmp))
        if args.profile:
            longest = speech[durations[0]]
            measure(
                "profile",
                out,
                lambda: profile(ctx, args.batch_size, out, sync, tmp, avatar, longest),
            )
        out["targets"] = {"total_10s_audio_s": 2.0, "first_chunk_10s_audio_s": 0.5}
        if device == "cuda":
            out["max_memory_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
