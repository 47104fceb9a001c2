require('puppeteer');
