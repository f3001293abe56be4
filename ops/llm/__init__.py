"""ops/llm"""
