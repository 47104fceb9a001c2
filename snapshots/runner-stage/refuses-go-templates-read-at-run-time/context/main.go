package main

import "html/template"

var page = template.Must(template.ParseFiles("templates/index.html"))

func main() {}
