module example.com/app

go 1.22

replace (
	// the fork
	example.com/lib v1.0.0 => /src/third_party/lib
)
