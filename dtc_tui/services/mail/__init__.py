"""The email channel: outbox and SMTP sender (outbound), IMAP/Maildir reader (inbound)."""
