namespace barrel_p2p::wire {}
