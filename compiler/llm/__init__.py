"""compiler/llm"""
