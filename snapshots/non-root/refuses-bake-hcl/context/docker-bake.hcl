target "app" {
  dockerfile = "input.Dockerfile"
}
