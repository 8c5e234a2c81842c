"""The model promotion gate (``sahab promote``, docs/promotion.md): Rego rules over a model version
gathered from MLflow, a hash-chained audit log, and aliases moved only when the rules allow it.

Needs the ``sahab[promotion]`` extra (MLflow); ``import sahab`` and the plan/gate path never import it.
"""
from .audit_log import LogCheck, verify_promotion_log
from .config import PromotionConfig, load_promotion_config
from .decide import PromotionResult, promote, rollback

__all__ = ["LogCheck", "PromotionConfig", "PromotionResult", "load_promotion_config", "promote", "rollback", "verify_promotion_log"]
