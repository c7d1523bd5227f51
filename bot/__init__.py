"""mlsquiz: an exam-prep Telegram bot for the AWS machine-learning certifications (MLA-C02 by default)."""
