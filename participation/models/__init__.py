"""The participation domain, one module per part (DESIGN.md: split past ~400 lines)."""

from participation.models.consultation import ConsultationPage, ConsultationTag

__all__ = ["ConsultationPage", "ConsultationTag"]
