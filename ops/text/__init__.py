"""ops/text"""
