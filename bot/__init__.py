"""mlsquiz: an exam-prep Telegram bot for the AWS Certified Machine Learning – Specialty."""
