"""Pass certificates (预验收合格证书): issuing, PDF with QR verification, revocation."""
