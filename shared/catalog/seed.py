"""The seed study's models and settings, and the family every catalog model belongs to.

Imports nothing heavy: the API uses it to queue the seed suite.
"""

from __future__ import annotations

# The seed study's models that timm has (OFA-595 is not in timm; LeViT-768* was the study's own variant).
SEED_MODELS: tuple[str, ...] = (
    "levit_128s", "levit_128", "levit_192", "levit_256", "levit_384",
    "tresnet_m", "tresnet_l", "tresnet_xl", "tresnet_v2_l",
    "resnet50", "convnext_tiny", "convnext_small",
    "swin_tiny_patch4_window7_224", "swin_small_patch4_window7_224", "tnt_s_patch16_224",
    "vit_small_patch16_224", "vit_base_patch16_224",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "mobilenetv3_large_100",
    "regnety_032", "regnety_040", "mixer_b16_224", "resmlp_12_224",
)

# The seed's settings per backend: GPU TensorRT FP16 batch 256; CPU OpenVINO on an FP16 IR, batch 1, one stream per
# core. "auto" is FP16 on the GPU and, on the CPU, the plugin's own precision, as the seed's OpenVINO chose it.
SEED_SETTINGS: dict[str, dict[str, object]] = {
    "gpu": {"engine": "tensorrt", "precision": "auto", "batch_size": 256},
    "cpu": {"engine": "openvino", "precision": "auto", "batch_size": 1},  # streams: the worker's physical cores
}

# `suite seed --sweep`: the seed models at these batch sizes, with a sweep's default streams.
SEED_SWEEP_BATCH_SIZES: tuple[int, ...] = (1, 8, 32)

# The models the catalog offers by default (the seed's and their close relatives), with the seed's labels.
CURATED: dict[str, tuple[str, str]] = {
    "levit_128s": ("hybrid", "LeViT-128S"), "levit_128": ("hybrid", "LeViT-128"), "levit_192": ("hybrid", "LeViT-192"),
    "levit_256": ("hybrid", "LeViT-256"), "levit_384": ("hybrid", "LeViT-384"),
    "tresnet_m": ("CNN", "TResNet-M"), "tresnet_l": ("CNN", "TResNet-L (v1)"), "tresnet_xl": ("CNN", "TResNet-XL"),
    "tresnet_v2_l": ("CNN", "TResNet-L"),
    "resnet18": ("CNN", "ResNet-18"), "resnet34": ("CNN", "ResNet-34"), "resnet50": ("CNN", "ResNet-50"),
    "resnet101": ("CNN", "ResNet-101"), "resnet152": ("CNN", "ResNet-152"),
    "convnext_tiny": ("CNN", "ConvNeXt-T"), "convnext_small": ("CNN", "ConvNeXt-S"), "convnext_base": ("CNN", "ConvNeXt-B"),
    "regnety_016": ("CNN", "RegNetY-016"), "regnety_032": ("CNN", "RegNetY-032"), "regnety_040": ("CNN", "RegNetY-040"),
    "regnety_080": ("CNN", "RegNetY-080"),
    "swin_tiny_patch4_window7_224": ("transformer", "Swin-T"), "swin_small_patch4_window7_224": ("transformer", "Swin-S"),
    "swin_base_patch4_window7_224": ("transformer", "Swin-B"),
    "tnt_s_patch16_224": ("transformer", "TnT-S"), "tnt_b_patch16_224": ("transformer", "TnT-B"),
    "vit_tiny_patch16_224": ("transformer", "ViT-Ti/16"), "vit_small_patch16_224": ("transformer", "ViT-S/16"),
    "vit_base_patch16_224": ("transformer", "ViT-B/16"),
    "deit_small_patch16_224": ("transformer", "DeiT-S"), "deit_base_patch16_224": ("transformer", "DeiT-B"),
    "efficientnet_b0": ("mobile", "EfficientNet-B0"), "efficientnet_b1": ("mobile", "EfficientNet-B1"),
    "efficientnet_b2": ("mobile", "EfficientNet-B2"), "efficientnet_b3": ("mobile", "EfficientNet-B3"),
    "efficientnet_b4": ("mobile", "EfficientNet-B4"),
    "mobilenetv3_small_100": ("mobile", "MobileNetV3-Small"), "mobilenetv3_large_100": ("mobile", "MobileNetV3-Large"),
    "mobilenetv4_conv_medium": ("mobile", "MobileNetV4-Conv-M"),
    "mixer_b16_224": ("MLP", "Mixer-B/16"), "mixer_l16_224": ("MLP", "Mixer-L/16"),
    "resmlp_12_224": ("MLP", "ResMLP-12"), "resmlp_24_224": ("MLP", "ResMLP-24"), "resmlp_36_224": ("MLP", "ResMLP-36"),
    "coatnet_0_rw_224": ("hybrid", "CoAtNet-0"), "efficientvit_b1": ("hybrid", "EfficientViT-B1"),
}

# First match wins; anything unmatched is a CNN (the bulk of timm's other architectures).
_PREFIX_FAMILY: tuple[tuple[str, str], ...] = (
    ("test_vit", "transformer"), ("test_efficientnet", "mobile"), ("test_mambaout", "hybrid"),
    ("mixer", "MLP"), ("resmlp", "MLP"), ("gmlp", "MLP"), ("gmixer", "MLP"),
    ("levit", "hybrid"), ("coat", "hybrid"), ("efficientvit", "hybrid"), ("mobilevit", "hybrid"), ("fastvit", "hybrid"),
    ("edgenext", "hybrid"), ("maxvit", "hybrid"), ("maxxvit", "hybrid"), ("cait", "transformer"),
    ("nextvit", "hybrid"), ("repvit", "mobile"), ("tiny_vit", "hybrid"), ("convit", "hybrid"), ("crossvit", "transformer"),
    ("vit_", "transformer"), ("deit", "transformer"), ("swin", "transformer"), ("tnt_", "transformer"),
    ("beit", "transformer"), ("eva", "transformer"), ("pit_", "transformer"), ("twins", "transformer"),
    ("xcit", "transformer"), ("volo", "transformer"), ("flexivit", "transformer"), ("davit", "transformer"),
    ("mvitv2", "transformer"), ("pvt", "transformer"), ("sequencer", "transformer"), ("hiera", "transformer"),
    ("mobilenet", "mobile"), ("efficientnet", "mobile"), ("tf_efficientnet", "mobile"), ("mnasnet", "mobile"),
    ("fbnet", "mobile"), ("ghostnet", "mobile"), ("lcnet", "mobile"), ("mixnet", "mobile"), ("tf_mixnet", "mobile"),
    ("spnasnet", "mobile"), ("tinynet", "mobile"), ("hardcorenas", "mobile"), ("semnasnet", "mobile"),
    ("tf_mobilenet", "mobile"), ("mobileone", "mobile"), ("rexnet", "mobile"),
)


def family_of(arch: str) -> str:
    if arch in CURATED:
        return CURATED[arch][0]
    for prefix, family in _PREFIX_FAMILY:
        if arch.startswith(prefix):
            return family
    return "CNN"
