"""Online study: materials and 专题 (tracks), honest study time, progress and figures.

content (Markdown, uploads), materials (tracks, materials, who may edit and study), studytime
(heartbeats), progress (per person), stats (per branch), figures (the year report), todo (home).
"""
