namespace barrel_p2p::runtime {}
