"""Canvas requests whose image and mask are files (paths): the server's jobs receive uploads as
files in the job's folder, so every canvas runner must read them as the window's arrays."""

from __future__ import annotations

import numpy as np
import pytest
from tests.server.conftest import recording_context

from studio.core.errors import BadInput
from studio.remote.client import RemoteRunner


def _mask(photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[20:50, 30:70] = 255
    return mask


def test_a_remove_job_with_file_inputs_runs_on_the_server_like_arrays_locally(
    server, model_store, photo, tmp_path
):
    from PIL import Image

    from studio.pipelines.canvas.remove import RemoveRequest, run

    image_path, mask_path = tmp_path / "my photo.png", tmp_path / "mask.png"
    Image.fromarray(photo).save(image_path)
    Image.fromarray(_mask(photo)).save(mask_path)
    files = RemoveRequest(image=str(image_path), mask=str(mask_path), max_side=64)
    remote = RemoteRunner(server.client(), "canvas.remove")(files, recording_context(model_store))
    local = run(
        RemoveRequest(image=photo, mask=_mask(photo), max_side=64),
        recording_context(model_store),
    )
    assert remote.image.shape == photo.shape
    assert np.array_equal(remote.image, local.image)


def test_an_uploaded_file_that_is_no_image_fails_the_job_with_a_message(
    server, model_store, tmp_path
):
    from studio.pipelines.canvas.remove import RemoveRequest

    text = tmp_path / "notes.png"
    text.write_text("not an image")
    request = RemoveRequest(image=str(text), mask=np.full((8, 8), 255, np.uint8))
    with pytest.raises(BadInput, match="not an image Studio can read"):
        RemoteRunner(server.client(), "canvas.remove")(request, recording_context(model_store))


def test_a_malformed_query_parameter_is_a_sentence_in_detail(server):
    import httpx

    response = httpx.get(f"{server.url}/v1/jobs/abc/events", params={"last_event_id": "x"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.startswith("'last_event_id': ")
