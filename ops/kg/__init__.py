"""ops/kg"""
