"""The pose ControlNet of a headshot pack: loaded from its published diffusers layout, placed
like IdentityNet, and its condition images.

The published SDXL OpenPose ControlNet (``xinsir/controlnet-openpose-sdxl-1.0``) is a plain
diffusers ``ControlNetModel`` (``config.json`` + ``diffusion_pytorch_model.safetensors`` at the
repository root). It runs beside IdentityNet on the same latents: IdentityNet gets the face
tokens as its context and the keypoint image, the pose ControlNet the prompt's text and the
OpenPose skeleton; their residuals are added before the UNet takes them, each at its own
conditioning scale (what diffusers' ``MultiControlNetModel`` does, with a context per net).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.models.loading import load_or_damaged
from studio.pipelines.context import RunContext
from studio.pipelines.headshots import pose

# Below IdentityNet's 0.8: the pose guides head and shoulders, the face stays the person's.
DEFAULT_SCALE = 0.6


def load_pose_controlnet(folder: Path, dtype: Any, model_id: str = pose.MODEL_ID) -> Any:
    """The pose ControlNet from an installed folder (on the CPU); ModelDamaged if its files
    cannot be read."""
    from diffusers import ControlNetModel

    net = load_or_damaged(
        model_id,
        lambda: ControlNetModel.from_pretrained(
            Path(folder), torch_dtype=dtype, local_files_only=True
        ),
    )
    return net.eval()


def pose_controlnet(ctx: RunContext, model_id: str = pose.MODEL_ID) -> Any:
    """The warm pose ControlNet (the model manager keeps it beside the headshot models)."""
    folder = ctx.store.require(model_id)
    entry = ctx.store.catalogue.get(model_id)
    return ctx.model(
        f"headshots:pose:{model_id}:{ctx.device}",
        lambda: load_pose_controlnet(folder, ctx.dtype, model_id),
        entry.vram_bytes,
    )


def place(net: Any, plan: Any, device: str) -> None:
    """Where the memory ``plan`` puts it: streamed block by block when IdentityNet is
    (``model_offload`` / ``sequential_offload``) or when the plan's memory has no room for
    it whole beside what the plan keeps (the plans are fitted without a pose net: most packs
    have none); else whole on ``device``."""
    from studio.pipelines.diffusion_loading import stream_blocks, unstream

    streamed = plan.name in ("model_offload", "sequential_offload")
    if plan.on_gpu and (streamed or not room_for_pose_net(plan)):
        stream_blocks(net, device)
    else:
        unstream(net)
        net.to(device)


def room_for_pose_net(plan: Any) -> bool:
    """Whether ``plan``'s memory holds the pose ControlNet whole as well (main stage)."""
    from studio.pipelines.memory_needs import POSE_CONTROLNET, needs_for
    from studio.pipelines.memory_plan import held_gib

    needs = needs_for(plan.kind)
    work = needs.work + needs.per_item * (plan.batch(needs.batch) - 1)
    return held_gib(plan.kind, plan.name) + POSE_CONTROLNET + work <= plan.usable_gib


def condition_images(
    angles: pose.PoseAngles, indices: list[int], settings: dict[str, Any]
) -> tuple[list[Any], list[Any]]:
    """(OpenPose images, InstantID keypoint images) of images ``indices`` of a pack: the same
    pose for all, each shifted by the image's seeded jitter when the pack varies the pose."""
    from studio.pipelines.headshots import instantid
    from studio.pipelines.headshots.frames import frame_of

    size = frame_of(settings)
    bodies, faces = [], []
    for index in indices:
        jitter = pose.image_jitter(int(settings["seed"]), index, bool(settings["pose"]))
        points = pose.pose_points(angles, size, jitter=jitter)
        bodies.append(pose.draw_pose(points))
        faces.append(instantid.draw_keypoints(size, points.face))
    return bodies, faces


def session_pose(ctx: RunContext, settings: dict[str, Any], plan: Any, device: str) -> Any:
    """(angles, pose ControlNet) for a pack's session: (None, None) when it has no pose."""
    angles = pose.angles_of(settings)
    if angles is None:
        return None, None
    net = pose_controlnet(ctx)
    place(net, plan, device)
    return angles, net


def sample_inputs(session: Any, indices: list[int]) -> dict[str, Any]:
    """The conditions :func:`generate.sample` takes for images ``indices`` of a pack session:
    the IdentityNet keypoints (the selfie's, or the pose's face) and, with a pose, the pose
    ControlNet, its OpenPose images and scale."""
    from studio.pipelines.headshots.frames import frame_of
    from studio.pipelines.headshots.generate import kps_tensor
    from studio.pipelines.headshots.identity import keypoint_image

    s, models = session.settings, session.models
    if session.pose is None:
        size = frame_of(s)
        images = [
            keypoint_image(session.identity, i, s["seed"], size, bool(s["pose"])) for i in indices
        ]
        return {"kps": kps_tensor(images, models.device, models.dtype)}
    bodies, faces = condition_images(session.pose, indices, s)
    return {
        "kps": kps_tensor(faces, models.device, models.dtype),
        "pose_net": session.pose_net,
        "pose_cond": kps_tensor(bodies, models.device, models.dtype),
        "pose_scale": float(s.get("pose_strength", DEFAULT_SCALE)),
    }


def extra_models(pose_source: Any, style: Any, store: Any) -> list[str]:
    """Models a pack needs beyond the base ones: the pose ControlNet when it asks for a pose,
    the style's LoRA (checked: imported, a LoRA, for SDXL)."""
    from studio.pipelines.headshots.style_lora import check_style_lora

    check_style_lora(store, style.lora, style.name)
    return [m for m in (pose.MODEL_ID if pose.wanted(pose_source) else "", style.lora) if m]


def pack_extras(ctx: RunContext, request: Any, style: Any) -> dict[str, Any]:
    """What a new pack records about its pose and LoRA: ``settings`` (:func:`pose.pose_settings`
    plus ``lora`` and ``lora_weight``) and ``models`` (their ids for the manifest). A pose
    photo is read here, with the face analysis the selfies were checked with."""
    from studio.pipelines.headshots.identity import face_analysis

    photo = pose.is_photo(request.pose)
    analysis = face_analysis(ctx, request.face_model) if photo else None
    settings = pose.pose_settings(request.pose, analysis)
    settings.update(lora=style.lora, lora_weight=style.lora_weight)
    models = {"pose": pose.MODEL_ID if settings["pose_kind"] else "", "lora": style.lora}
    return {"settings": settings, "models": {k: v for k, v in models.items() if v}}
