package app;
class AppTest {}
