"""Model cards rendered from the project's ``model_card.md`` template with ``huggingface_hub.ModelCard``."""

from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "model_card.md"


def render_model_card(
    kp_detector,
    generator,
    image_size: int,
    repo_id: str = "path/to/pipeline",
    model_name: str = "First Order Motion Model",
    training_description: str = "Not recorded.",
    evaluation_table: str = "Not evaluated.",
    tags=(),
    datasets=None,
    license: str = "other",
) -> ModelCard:
    card_data = ModelCardData(
        library_name="fomm_hf",
        pipeline_tag="image-to-video",
        license=license,
        tags=["first-order-motion-model", "image-animation", "fomm_hf", *tags],
        datasets=datasets,
    )
    return ModelCard.from_template(
        card_data,
        template_path=str(TEMPLATE_PATH),
        model_name=model_name,
        repo_id=repo_id,
        image_size=image_size,
        num_kp=kp_detector.config.num_kp,
        estimate_jacobian=kp_detector.config.estimate_jacobian,
        align_corners=generator.config.align_corners,
        training_description=training_description,
        evaluation_table=evaluation_table,
    )
