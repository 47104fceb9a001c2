package main

import "embed"

//go:embed templates static/*.css
var files embed.FS

func main() { _ = files }
