"""The warm model cache evicts least-recently-used models under its budget."""

from studio.services.model_cache import ModelCache, model_size_bytes


def test_lru_eviction_under_budget():
    cache = ModelCache(budget_bytes=100)
    loads: list[str] = []

    def loader(name):
        return lambda: loads.append(name) or name

    cache.get("a", loader("a"), 40)
    cache.get("b", loader("b"), 40)
    cache.get("a", loader("a"), 40)  # hit: a becomes most recent
    cache.get("c", loader("c"), 40)  # needs room: evicts b, the least recent
    assert loads == ["a", "b", "c"]
    assert cache.keys() == ["a", "c"]
    assert cache.evictions == ["b"]
    assert cache.used_bytes == 80


def test_model_bigger_than_budget_still_loads_alone():
    cache = ModelCache(budget_bytes=50)
    cache.get("small", lambda: 1, 20)
    assert cache.get("huge", lambda: 2, 80) == 2
    assert cache.keys() == ["huge"]


def test_unlimited_budget_and_clear():
    cache = ModelCache()
    for i in range(5):
        cache.get(str(i), lambda i=i: i, 10**12)
    assert len(cache) == 5
    cache.clear()
    assert len(cache) == 0 and cache.used_bytes == 0


def test_size_measured_from_torch_module():
    import torch

    module = torch.nn.Linear(10, 10)  # 110 float32 parameters
    assert model_size_bytes(module) == 110 * 4
    cache = ModelCache()
    cache.get("lin", lambda: module)
    assert cache.used_bytes == 440


def test_lowering_the_budget_evicts_at_once():
    cache = ModelCache(budget_bytes=100)
    cache.get("a", lambda: 1, 40)
    cache.get("b", lambda: 2, 40)
    cache.budget_bytes = 50
    cache.fit()
    assert cache.keys() == ["b"]


class _Pipeline:
    """Shaped like a diffusers pipeline: modules as attributes, plus cached tensors/arrays."""

    def __init__(self):
        import numpy as np
        import torch

        self.unet = torch.nn.Linear(10, 10)  # 440 bytes
        shared = torch.zeros(25)  # 100 bytes, referenced twice
        self.features = [shared, {"again": shared, "view": shared[:5]}]
        self.extras = {"mask": np.zeros((10, 10), np.uint8)}  # 100 bytes
        self.name = "tiny"


def test_size_measured_recursively_through_attributes_each_storage_once():
    assert model_size_bytes(_Pipeline()) == 440 + 100 + 100
    cache = ModelCache()
    cache.get("pipe", _Pipeline, size_bytes=10**9)  # the estimate only when nothing measures
    assert cache.used_bytes == 640 and cache.host_bytes == 640 and cache.device_bytes == 0


def test_estimate_counts_when_nothing_is_measurable():
    cache = ModelCache()
    cache.get("onnx-session", lambda: object(), size_bytes=123)
    assert cache.used_bytes == 123 and cache.device_bytes == 123  # the VRAM estimate's pool


def test_a_model_holding_the_cache_is_not_counted_with_every_other_model():
    import torch

    cache = ModelCache()
    cache.get("big", lambda: torch.zeros(1000))

    class Engine:
        def __init__(self):
            self.cache = cache
            self.weights = torch.zeros(10)

    cache.get("engine", Engine)
    assert cache.used_bytes == 4000 + 40


def test_host_memory_has_a_limit_so_embeddings_do_not_pile_up():
    import torch

    cache = ModelCache(host_budget_bytes=4000)
    for i in range(100):  # one image embedding (1000 bytes) per revision of an image
        cache.get(f"sam-embedding:{i}", lambda: torch.zeros(250))
    assert len(cache) == 4 and cache.host_bytes == 4000
    assert cache.keys() == [f"sam-embedding:{i}" for i in range(96, 100)]
    assert cache.evictions[-1] == "sam-embedding:95"


def test_default_host_budget_is_a_fraction_of_ram():
    from studio.services.model_cache import HOST_BUDGET_FRACTION, total_ram_bytes

    assert total_ram_bytes() > 0
    assert ModelCache().host_budget_bytes == int(total_ram_bytes() * HOST_BUDGET_FRACTION)
    assert ModelCache(host_budget_bytes=0).host_budget_bytes == 0  # unlimited


def test_models_held_by_a_job_are_never_evicted():
    import torch

    cache = ModelCache(host_budget_bytes=1500)
    cache.get("idle", lambda: torch.zeros(250))
    with cache.hold():
        cache.get("a", lambda: torch.zeros(250))  # evicts "idle", not held by anyone
        cache.get("b", lambda: torch.zeros(250))  # over budget: "a" is held, so it stays
        assert cache.keys() == ["a", "b"] and cache.pinned() == {"a", "b"}
        assert cache.evict("a") is False
        cache.clear()
        assert cache.keys() == ["a", "b"]
    # The job ended: back under budget at once, least recently used first.
    assert cache.keys() == ["b"] and not cache.pinned()
    assert cache.evictions == ["idle", "a"]
