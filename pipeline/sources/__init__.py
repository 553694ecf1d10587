"""Sources: reading uploaded bytes safely (sniffing, PDFs, images, ffmpeg, audio and video)."""
